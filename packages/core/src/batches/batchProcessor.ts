import {
  type Batch,
  type BatchResponseStatus,
  type Db,
  FINAL_BATCH_STATUSES,
  findBatchById,
  insertBatchResponses,
  lockBatch,
  type NewBatchResponse,
  readBatchRequests,
  setBatchRequestStatus,
  tenantWebhookUrls,
  unansweredBatchRequests,
  updateBatch,
} from "@sluice/db";
import { sql } from "kysely";
import { tierRequest, validatorsFor } from "../cascade/cascadeEngine.ts";
import { validateDraft } from "../cascade/validators.ts";
import { isSluiceError } from "../errors/sluiceError.ts";
import type { JobService } from "../jobs/jobService.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import { costMicros } from "../models/cost.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import type {
  ProviderBatchRequest,
  ProviderBatchResult,
  ProviderBatchState,
  ProviderBatchStatus,
} from "../providers/batchApi.ts";
import type { ProviderChatResult } from "../providers/provider.ts";
import type { ChatRequest } from "../schemas/chatRequest.ts";
import { type BatchRuntime, type BatchTarget, type BatchTier, resolveBatchTarget } from "./batchTarget.ts";
import type { BatchAttempt } from "./publicBatch.ts";

/** Results written per transaction while reading a finished provider batch. */
export const RESULT_CHUNK = 500;

/** What the batch jobs need. */
export interface BatchWorkDeps {
  db: Db;
  jobs: JobService;
  runtime: BatchRuntime;
  /** Time between polls of a submitted batch. */
  pollIntervalMs: number;
  signal: AbortSignal;
  progress?: ((percent: number, message?: string) => unknown) | undefined;
}

const PROVIDER_FINAL: readonly ProviderBatchStatus[] = ["completed", "failed", "expired", "cancelled"];

/** The answer of a request, as an OpenAI-style chat completion. */
function completionObject(model: string, result: ProviderChatResult) {
  return {
    id: result.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: result.choices.map((c, index) => ({
      index,
      message: { role: "assistant", content: c.content, refusal: null },
      logprobs: c.logprobs ? { content: c.logprobs } : null,
      finish_reason: c.finishReason,
    })),
    usage: {
      prompt_tokens: result.usage.inputTokens,
      completion_tokens: result.usage.outputTokens,
      total_tokens: result.usage.inputTokens + result.usage.outputTokens,
    },
  };
}

/** The provider request of one stored request at a tier. */
function providerRequestOf(target: BatchTarget, tierIndex: number, body: ChatRequest) {
  const base = toProviderRequest(body);
  const tier = target.tiers[tierIndex]!;
  const request = target.cascade ? tierRequest(target.cascade, tierIndex, base) : base;
  return { ...request, model: tier.model.upstream };
}

async function* providerRequests(
  db: Db,
  batch: Batch,
  target: BatchTarget,
): AsyncGenerator<ProviderBatchRequest> {
  for await (const row of readBatchRequests(db, batch.id, batch.tier)) {
    yield { customId: row.customId, request: providerRequestOf(target, batch.tier, row.body as ChatRequest) };
  }
}

async function schedulePoll(tx: Db, deps: BatchWorkDeps, batchId: string, seq: number): Promise<void> {
  await deps.jobs.enqueueIn(
    tx,
    { tenantId: null },
    {
      kind: "batch.poll",
      payload: { batchId, seq },
      idempotencyKey: `batch.poll:${batchId}:${seq}`,
      runAt: new Date(Date.now() + deps.pollIntervalMs),
    },
  );
}

/** Advances the batch's poll sequence from `seq` and schedules that poll; false when `seq` is stale. */
async function scheduleNextPoll(tx: Db, deps: BatchWorkDeps, batchId: string, seq: number): Promise<boolean> {
  if (seq < 0) return false;
  const { rows } = await sql<{ pollSeq: number }>`
    update batches set poll_seq = poll_seq + 1, updated_at = now()
    where id = ${batchId} and poll_seq = ${seq} returning poll_seq`.execute(tx);
  if (rows.length === 0) return false;
  await schedulePoll(tx, deps, batchId, rows[0]!.pollSeq);
  return true;
}

/** Webhooks about a finished batch: its own endpoint and its tenant's. */
async function enqueueBatchWebhooks(tx: Db, deps: BatchWorkDeps, batch: Batch): Promise<void> {
  const urls = new Set<string>();
  if (batch.webhookUrl) urls.add(batch.webhookUrl);
  const tenantUrl = (await tenantWebhookUrls(tx, [batch.tenantId])).get(batch.tenantId);
  if (tenantUrl) urls.add(tenantUrl);
  for (const url of urls) {
    await deps.jobs.enqueueIn(
      tx,
      { tenantId: null },
      {
        kind: "webhook.deliver",
        payload: { url, event: `batch.${batch.status}`, batchId: batch.id },
        idempotencyKey: `batch.webhook:${batch.id}:${url}`.slice(0, 200),
      },
    );
  }
}

/** True while `locked` is still at the tier and provider batch that `seen` was read at. */
function sameRun(locked: Batch, seen: Batch): boolean {
  return locked.tier === seen.tier && locked.providerBatchId === seen.providerBatchId;
}

/**
 * Ends a batch now: every request without an answer gets one (`cancelled`, or `errored` with the
 * error), and the batch ends `cancelled` or `failed`. Used when it never reached its provider, and
 * when it cannot be followed any more.
 */
async function endBatch(
  deps: BatchWorkDeps,
  batchId: string,
  status: "cancelled" | "failed",
  error?: { code: string; message: string },
): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const locked = await lockBatch(tx, batchId);
    if (!locked || FINAL_BATCH_STATUSES.includes(locked.status)) return;
    await answerMissing(tx, locked, status === "cancelled" ? "cancelled" : "errored", {
      code: error?.code ?? "cancelled",
      message: error?.message ?? "the batch was cancelled before it reached its provider",
    });
    const done = await updateBatch(tx, locked.id, {
      status,
      finishedAt: new Date(),
      errorMessage: error?.message ?? null,
    });
    await enqueueBatchWebhooks(tx, deps, done);
  });
}

/**
 * Gives up on a batch whose job cannot succeed (its last attempt failed, or the error cannot be
 * retried): the provider batch, if any, is cancelled (best effort) and the batch ends `failed` with
 * the reason, every unanswered request `errored`.
 */
export async function abandonBatch(deps: BatchWorkDeps, batchId: string, error: unknown): Promise<void> {
  const batch = await findBatchById(deps.db, batchId);
  if (!batch || FINAL_BATCH_STATUSES.includes(batch.status)) return;
  const reason = isSluiceError(error)
    ? { code: error.code, message: error.message }
    : { code: "internal_error", message: error instanceof Error ? error.message : String(error) };
  if (batch.providerBatchId) {
    try {
      const tier = resolveBatchTarget(deps.runtime, batch.model).tiers[batch.tier]!;
      await tier.api.cancel(batch.providerBatchId, { signal: deps.signal });
    } catch {
      // The batch is given up on either way; an uncancelled provider batch only finishes unread.
    }
  }
  await endBatch(deps, batchId, "failed", {
    code: reason.code,
    message: `the batch could not be followed: ${reason.message}`,
  });
}

/**
 * Schedules another poll of the batch well after the usual interval, continuing its poll chain
 * after a poll that ran out of attempts (a provider or database outage outlasting its retries).
 */
export async function pollLater(
  deps: BatchWorkDeps,
  payload: { batchId: string; seq: number },
): Promise<void> {
  const later = { ...deps, pollIntervalMs: Math.max(deps.pollIntervalMs * 10, 60_000) };
  await deps.db.transaction().execute((tx) => scheduleNextPoll(tx, later, payload.batchId, payload.seq));
}

/**
 * `batch.submit`: sends the batch's current tier to its provider and schedules the first poll.
 * Running it again for a tier already sent changes nothing.
 */
export async function submitBatch(
  deps: BatchWorkDeps,
  payload: { batchId: string; tier: number },
): Promise<{ providerBatchId: string | null; status: string }> {
  const batch = await findBatchById(deps.db, payload.batchId);
  if (!batch) return { providerBatchId: null, status: "deleted" };
  if (batch.tier !== payload.tier || batch.providerBatchId || FINAL_BATCH_STATUSES.includes(batch.status)) {
    return { providerBatchId: batch.providerBatchId, status: batch.status };
  }
  if (batch.status === "cancelling") {
    await endBatch(deps, batch.id, "cancelled");
    return { providerBatchId: null, status: "cancelled" };
  }
  const target = resolveBatchTarget(deps.runtime, batch.model);
  const tier = target.tiers[batch.tier]!;
  let state: ProviderBatchState;
  try {
    state = await tier.api.create(providerRequests(deps.db, batch, target), {
      metadata: { ...batch.metadata, sluice_batch_id: batch.id, sluice_tier: String(batch.tier) },
      signal: deps.signal,
    });
  } catch (error) {
    if (isSluiceError(error) && !error.retriable) {
      await endBatch(deps, batch.id, "failed", error);
      return { providerBatchId: null, status: "failed" };
    }
    throw error;
  }
  const outcome = await deps.db.transaction().execute(async (tx) => {
    const locked = await lockBatch(tx, batch.id);
    // Another run of this job got there first (or the batch ended meanwhile): this provider batch is surplus.
    if (!locked || !sameRun(locked, batch) || FINAL_BATCH_STATUSES.includes(locked.status)) return "surplus";
    await updateBatch(tx, batch.id, {
      providerBatchId: state.id,
      inputFileId: state.inputFileId,
      provider: tier.provider.name,
      status: locked.status === "cancelling" ? "cancelling" : state.status,
      resultsRead: 0,
    });
    await setBatchRequestStatus(tx, batch.id, batch.tier, ["pending"], "submitted");
    const { rows } = await sql<{ pollSeq: number }>`
      update batches set poll_seq = poll_seq + 1 where id = ${batch.id} returning poll_seq`.execute(tx);
    await schedulePoll(tx, deps, batch.id, rows[0]!.pollSeq);
    return locked.status === "cancelling" ? "cancel" : "sent";
  });
  if (outcome !== "sent") await cancelQuietly(tier, state.id, deps.signal);
  return { providerBatchId: outcome === "surplus" ? null : state.id, status: state.status };
}

/** Cancels a provider batch; one that has already ended (the provider refuses) is left as it is. */
async function cancelQuietly(tier: BatchTier, id: string, signal: AbortSignal): Promise<ProviderBatchState> {
  try {
    return await tier.api.cancel(id, { signal });
  } catch (error) {
    if (isSluiceError(error) && !error.retriable) return tier.api.retrieve(id, { signal });
    throw error;
  }
}

/**
 * `batch.poll`: checks the provider batch; while it runs, records its status and schedules the next
 * poll; once it has ended, stores every result (resuming after the ones already stored) and
 * finishes the tier.
 */
export async function pollBatch(
  deps: BatchWorkDeps,
  payload: { batchId: string; seq: number },
): Promise<{ status: string }> {
  const batch = await findBatchById(deps.db, payload.batchId);
  if (!batch || FINAL_BATCH_STATUSES.includes(batch.status)) return { status: batch?.status ?? "deleted" };
  if (!batch.providerBatchId) {
    // Not at the provider yet: its submit job ends a cancelled batch itself.
    return { status: batch.status };
  }
  const target = resolveBatchTarget(deps.runtime, batch.model);
  const tier = target.tiers[batch.tier]!;
  let state = await tier.api.retrieve(batch.providerBatchId, { signal: deps.signal });
  if (
    batch.status === "cancelling" &&
    !PROVIDER_FINAL.includes(state.status) &&
    state.status !== "cancelling"
  ) {
    state = await cancelQuietly(tier, batch.providerBatchId, deps.signal);
  }
  const total = Math.max(1, state.counts.total);
  await deps.progress?.(
    Math.min(99, Math.floor(((state.counts.succeeded + state.counts.errored) / total) * 100)),
    `tier ${batch.tier}: ${state.status}`,
  );
  if (!PROVIDER_FINAL.includes(state.status)) {
    await deps.db.transaction().execute(async (tx) => {
      const locked = await lockBatch(tx, batch.id);
      if (!locked || FINAL_BATCH_STATUSES.includes(locked.status) || !sameRun(locked, batch)) return;
      if (locked.status !== "cancelling" && locked.status !== state.status)
        await updateBatch(tx, batch.id, { status: state.status });
      await scheduleNextPoll(tx, deps, batch.id, payload.seq);
    });
    return { status: state.status };
  }
  const current = await deps.db.transaction().execute(async (tx) => {
    const locked = await lockBatch(tx, batch.id);
    if (!locked || FINAL_BATCH_STATUSES.includes(locked.status) || !sameRun(locked, batch)) return undefined;
    // A requested cancel stays visible while the results are stored.
    return updateBatch(tx, batch.id, {
      ...(locked.status === "cancelling" ? {} : { status: "finalizing" as const }),
      outputFileId: state.outputFileId,
      errorFileId: state.errorFileId,
    });
  });
  if (!current) return { status: "superseded" };
  await storeResults(deps, current, target, state);
  const finished = await finishTier(deps, current, target, state);
  return { status: finished };
}

interface ItemOutcome {
  final?: NewBatchResponse;
  escalate?: { customId: string; attempts: BatchAttempt[] };
  /** This tier's cost of the item, at batch and at synchronous pricing. */
  cost: number;
  syncCost: number;
  usage: { inputTokens: number; outputTokens: number };
}

/** Decides one result: a final answer, or (cascades) a rejected draft for the next tier. */
async function outcomeOf(
  deps: BatchWorkDeps,
  batch: Batch,
  target: BatchTarget,
  tier: BatchTier,
  state: ProviderBatchState,
  result: ProviderBatchResult,
  known: { seq: number; attempts: BatchAttempt[] },
): Promise<ItemOutcome> {
  const base = { batchId: batch.id, customId: result.customId, seq: known.seq };
  const model = tier.model;
  if (result.status !== "succeeded") {
    const error = result.status === "errored" ? result.error : null;
    const canEscalate =
      result.status === "errored" &&
      target.cascade &&
      batch.tier < target.tiers.length - 1 &&
      state.status === "completed";
    const attempt: BatchAttempt = {
      tier: batch.tier,
      model: model.id,
      accepted: false,
      reason: error ? `${error.code}: ${error.message}` : result.status,
      inputTokens: 0,
      outputTokens: 0,
      costMicros: 0,
    };
    const attempts = [...known.attempts, attempt];
    const zero = { cost: 0, syncCost: 0, usage: { inputTokens: 0, outputTokens: 0 } };
    if (canEscalate) return { escalate: { customId: result.customId, attempts }, ...zero };
    return {
      final: {
        ...base,
        status: result.status as BatchResponseStatus,
        model: model.id,
        error: storableJson(
          error ?? { code: result.status, message: `the request ${result.status} at the provider` },
        ),
        costMicros: sumCost(known.attempts),
        attempts: JSON.stringify(attempts),
      },
      ...zero,
    };
  }
  const usage = result.result.usage;
  const cost = costMicros(model, usage, { batch: true });
  const syncCost = costMicros(model, usage);
  let accepted = true;
  let reason = "answered";
  const lastTier = batch.tier >= target.tiers.length - 1;
  if (target.cascade && !lastTier) {
    const verdict = await validateDraft(
      {
        model: model.id,
        content: result.result.content,
        finishReason: result.result.finishReason,
        ...(result.result.logprobs ? { logprobs: result.result.logprobs } : {}),
      },
      validatorsFor({ cascade: target.cascade }),
      { signal: deps.signal },
    );
    accepted = verdict.accept;
    reason = verdict.reason;
  }
  const attempt: BatchAttempt = {
    tier: batch.tier,
    model: model.id,
    accepted,
    reason,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costMicros: cost,
  };
  // A rejected draft goes up a tier, unless the batch is being cancelled or ended early: then the
  // draft is the answer, marked as not accepted.
  if (!accepted && state.status === "completed" && batch.status !== "cancelling")
    return {
      escalate: { customId: result.customId, attempts: [...known.attempts, attempt] },
      cost,
      syncCost,
      usage,
    };
  if (!accepted)
    attempt.reason = `${reason}; not escalated: the batch ${batch.status === "cancelling" ? "was cancelled" : `ended ${state.status}`}`;
  const attempts = [...known.attempts, attempt];
  return {
    final: {
      ...base,
      status: "succeeded",
      model: model.id,
      response: storableJson(completionObject(model.id, result.result)),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costMicros: sumCost(attempts),
      attempts: JSON.stringify(attempts),
    },
    cost,
    syncCost,
    usage,
  };
}

/** JSON that `jsonb` accepts: NUL characters in provider output are dropped. */
function storableJson(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)\\u0000/g, "");
}

function sumCost(attempts: BatchAttempt[]): number {
  return attempts.reduce((a, t) => a + t.costMicros, 0);
}

/** What the top tier alone would have charged synchronously for the same tokens. */
function topTierCost(target: BatchTarget, usage: { inputTokens: number; outputTokens: number }): number {
  const top: ModelSpec = target.tiers.at(-1)!.model;
  return costMicros(top, usage);
}

/** Streams the ended provider batch's results into `batch_responses`, `RESULT_CHUNK` per transaction. */
async function storeResults(
  deps: BatchWorkDeps,
  batch: Batch,
  target: BatchTarget,
  state: ProviderBatchState,
): Promise<void> {
  const tier = target.tiers[batch.tier]!;
  const fresh = (await findBatchById(deps.db, batch.id))!;
  const skip = fresh.resultsRead;
  let read = 0;
  let chunk: ProviderBatchResult[] = [];
  const write = async () => {
    const results = chunk;
    chunk = [];
    await deps.db.transaction().execute(async (tx) => {
      const locked = await lockBatch(tx, batch.id);
      if (!locked || !sameRun(locked, batch) || FINAL_BATCH_STATUSES.includes(locked.status)) return;
      const { rows } = await sql<{ customId: string; seq: number; attempts: BatchAttempt[]; tier: number }>`
        select custom_id, seq, attempts, tier from batch_requests
        where batch_id = ${batch.id} and custom_id = any(${results.map((r) => r.customId)}::text[])`.execute(
        tx,
      );
      const known = new Map(rows.map((r) => [r.customId, r]));
      const finals: NewBatchResponse[] = [];
      const escalations: { customId: string; attempts: BatchAttempt[] }[] = [];
      const costs = new Map<string, ItemOutcome>();
      for (const result of results) {
        const row = known.get(result.customId);
        // A custom id the batch never had, one already moved on, or one the provider repeated.
        if (!row || row.tier !== batch.tier || costs.has(result.customId)) continue;
        const outcome = await outcomeOf(deps, locked, target, tier, state, result, row);
        costs.set(result.customId, outcome);
        if (outcome.final) finals.push(outcome.final);
        if (outcome.escalate) escalations.push(outcome.escalate);
      }
      const inserted = await insertBatchResponses(tx, finals);
      let moved: string[] = [];
      if (escalations.length > 0) {
        const { rows: up } = await sql<{ customId: string }>`
          update batch_requests r set tier = ${batch.tier + 1}, status = 'pending', attempts = e.attempts
          from unnest(${escalations.map((e) => e.customId)}::text[], ${escalations.map((e) => JSON.stringify(e.attempts))}::jsonb[])
            as e(custom_id, attempts)
          where r.batch_id = ${batch.id} and r.custom_id = e.custom_id and r.tier = ${batch.tier}
          returning r.custom_id`.execute(tx);
        moved = up.map((r) => r.customId);
      }
      const counted = [...inserted.map((r) => r.customId), ...moved];
      const totals = { cost: 0, sync: 0, top: 0, input: 0, output: 0 };
      for (const id of counted) {
        const o = costs.get(id)!;
        totals.cost += o.cost;
        totals.sync += o.syncCost;
        totals.input += o.usage.inputTokens;
        totals.output += o.usage.outputTokens;
        if (o.final && target.cascade) totals.top += topTierCost(target, o.usage);
      }
      const count = (status: BatchResponseStatus) => inserted.filter((r) => r.status === status).length;
      await sql`
        update batches set
          succeeded_count = succeeded_count + ${count("succeeded")},
          errored_count = errored_count + ${count("errored")},
          expired_count = expired_count + ${count("expired")},
          cancelled_count = cancelled_count + ${count("cancelled")},
          input_tokens = input_tokens + ${totals.input},
          output_tokens = output_tokens + ${totals.output},
          cost_micros = cost_micros + ${totals.cost},
          sync_cost_micros = sync_cost_micros + ${totals.sync},
          top_tier_cost_micros = top_tier_cost_micros + ${totals.top},
          results_read = greatest(results_read, ${read}),
          updated_at = now()
        where id = ${batch.id}`.execute(tx);
    });
  };
  for await (const result of tier.api.results(state, { signal: deps.signal })) {
    read++;
    if (read <= skip) continue;
    chunk.push(result);
    if (chunk.length >= RESULT_CHUNK) await write();
  }
  if (chunk.length > 0) await write();
}

/** Answers every request of the tier that has none yet with `status`. */
async function answerMissing(
  tx: Db,
  batch: Batch,
  status: BatchResponseStatus,
  error: { code: string; message: string },
  tier = batch.tier,
): Promise<number> {
  let answered = 0;
  for (;;) {
    // A page at a time: each page answered drops out of the next query.
    const missing = await unansweredBatchRequests(tx, batch.id, tier, 1000);
    if (missing.length === 0) return answered;
    answered += missing.length;
    const rows = missing.map((m) => ({
      batchId: batch.id,
      customId: m.customId,
      seq: m.seq,
      status,
      error: JSON.stringify(error),
      attempts: JSON.stringify(m.attempts),
      costMicros: sumCost(m.attempts as BatchAttempt[]),
    }));
    const inserted = await insertBatchResponses(tx, rows);
    const column = `${status}_count`;
    await sql`update batches set ${sql.ref(column)} = ${sql.ref(column)} + ${inserted.length} where id = ${batch.id}`.execute(
      tx,
    );
  }
}

const MISSING: Record<ProviderBatchStatus, { status: BatchResponseStatus; code: string; message: string }> = {
  completed: {
    status: "errored",
    code: "missing_result",
    message: "the provider returned no result for this request",
  },
  failed: { status: "errored", code: "batch_failed", message: "the provider batch failed" },
  expired: { status: "expired", code: "expired", message: "the batch expired before this request ran" },
  cancelled: {
    status: "cancelled",
    code: "cancelled",
    message: "the batch was cancelled before this request ran",
  },
  validating: { status: "errored", code: "missing_result", message: "no result" },
  in_progress: { status: "errored", code: "missing_result", message: "no result" },
  finalizing: { status: "errored", code: "missing_result", message: "no result" },
  cancelling: {
    status: "cancelled",
    code: "cancelled",
    message: "the batch was cancelled before this request ran",
  },
};

/** After a tier's results are stored: send rejected drafts to the next tier, or finish the batch. */
async function finishTier(
  deps: BatchWorkDeps,
  seen: Batch,
  target: BatchTarget,
  state: ProviderBatchState,
): Promise<string> {
  const batchId = seen.id;
  const tierIndex = seen.tier;
  return deps.db.transaction().execute(async (tx) => {
    const batch = await lockBatch(tx, batchId);
    if (!batch || !sameRun(batch, seen) || FINAL_BATCH_STATUSES.includes(batch.status))
      return batch?.status ?? "deleted";
    const missing = MISSING[state.status];
    const batchError = state.errors
      .map((e) => (e.line === null ? e.message : `line ${e.line}: ${e.message}`))
      .join("; ");
    await answerMissing(tx, batch, missing.status, {
      code: missing.code,
      message: state.status === "failed" && batchError ? batchError : missing.message,
    });
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from batch_requests where batch_id = ${batchId} and tier = ${tierIndex + 1}`.execute(
      tx,
    );
    const escalated = rows[0]!.n;
    const cancelRequested = batch.status === "cancelling";
    if (escalated > 0 && cancelRequested) {
      // Cancelled between tiers: the drafts waiting for the next tier end cancelled, with what they cost.
      await answerMissing(
        tx,
        batch,
        "cancelled",
        { code: "cancelled", message: "the batch was cancelled before this request's next tier ran" },
        tierIndex + 1,
      );
    } else if (escalated > 0 && tierIndex + 1 < target.tiers.length) {
      const next = target.tiers[tierIndex + 1]!;
      const moved = await updateBatch(tx, batchId, {
        tier: tierIndex + 1,
        provider: next.provider.name,
        status: "submitted",
        providerBatchId: null,
        inputFileId: null,
        outputFileId: null,
        errorFileId: null,
        resultsRead: 0,
      });
      await deps.jobs.enqueueIn(
        tx,
        { tenantId: null },
        {
          kind: "batch.submit",
          payload: { batchId, tier: moved.tier },
          idempotencyKey: `batch.submit:${batchId}:${moved.tier}`,
        },
      );
      return "submitted";
    }
    // A batch whose cancel was requested ends cancelled, keeping the answers it already has.
    const status =
      state.status === "cancelling" || cancelRequested ? "cancelled" : (state.status as Batch["status"]);
    const done = await updateBatch(tx, batchId, {
      status,
      finishedAt: new Date(),
      errorMessage: state.status === "failed" ? batchError || "the provider batch failed" : null,
    });
    await enqueueBatchWebhooks(tx, deps, done);
    return status;
  });
}
