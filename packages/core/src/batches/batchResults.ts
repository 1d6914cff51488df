import {
  addToBatchTotals,
  type Batch,
  type BatchResponseStatus,
  batchRequestsByCustomId,
  type Db,
  escalateBatchRequests,
  insertBatchResponses,
  insertLlmCalls,
  isFinalBatchStatus,
  lockBatch,
  type NewBatchResponse,
  type NewLlmCall,
  retryBatchRequests,
  unansweredBatchRequests,
} from "@sluice/db";
import { costMicros } from "../models/cost.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import type { ProviderBatchResult, ProviderBatchState } from "../providers/batchApi.ts";
import { bookBatchSpend } from "./batchBudget.ts";
import { type BatchRequestContract, completionObject, reviewBatchDraft } from "./batchDraft.ts";
import type { BatchTarget, BatchTier } from "./batchTarget.ts";
import { type BatchWorkDeps, DEFAULT_BATCH_RETRIES, RESULT_CHUNK, sameRun } from "./batchWork.ts";
import type { BatchAttempt } from "./publicBatch.ts";

interface ItemOutcome {
  final?: NewBatchResponse;
  escalate?: { customId: string; attempts: BatchAttempt[] };
  /** Sent again at the same tier in a follow-up provider batch. */
  retry?: { customId: string; attempts: BatchAttempt[] };
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
  known: { seq: number; attempts: BatchAttempt[]; contract: BatchRequestContract },
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
    const retriedHere = known.attempts.filter((a) => a.retried && a.tier === batch.tier).length;
    if (
      error &&
      isRetriableBatchError(error) &&
      state.status === "completed" &&
      batch.status !== "cancelling" &&
      retriedHere < (deps.maxRetries ?? DEFAULT_BATCH_RETRIES)
    )
      return {
        retry: { customId: result.customId, attempts: [...known.attempts, { ...attempt, retried: true }] },
        ...zero,
      };
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
    const verdict = await reviewBatchDraft(
      target.cascade,
      model.id,
      result.result,
      known.contract,
      deps.signal,
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

/**
 * A per-request provider error that another try may not repeat: rate limits, timeouts and server
 * errors (Anthropic's `overloaded_error` is 529). Bad requests fail the same way every time.
 */
export function isRetriableBatchError(error: { httpStatus: number | null }): boolean {
  const status = error.httpStatus;
  return status !== null && (status === 408 || status === 429 || status >= 500);
}

/** JSON that `jsonb` accepts: NUL characters in provider output are dropped. */
function storableJson(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)\\u0000/g, "");
}

export function sumCost(attempts: BatchAttempt[]): number {
  return attempts.reduce((a, t) => a + t.costMicros, 0);
}

/** What the top tier alone would have charged synchronously for the same tokens. */
function topTierCost(target: BatchTarget, usage: { inputTokens: number; outputTokens: number }): number {
  const top: ModelSpec = target.tiers.at(-1)!.model;
  return costMicros(top, usage);
}

/** The call-log row of one result: what the tier's model answered and its cost at batch pricing. */
function callRowOf(batch: Batch, tier: BatchTier, outcome: ItemOutcome): NewLlmCall {
  const error = outcome.final && outcome.final.status !== "succeeded";
  return {
    tenantId: batch.tenantId,
    requestId: null,
    jobId: null,
    kind: "chat",
    model: tier.model.id,
    provider: tier.provider.name,
    inputTokens: outcome.usage.inputTokens,
    outputTokens: outcome.usage.outputTokens,
    costMicros: outcome.cost,
    latencyMs: 0,
    ttftMs: null,
    cacheHit: false,
    status: error ? "error" : "ok",
    errorCode: error ? (outcome.final?.status ?? null) : null,
    holder: batch.budgetHolder,
    batchId: batch.id,
  };
}

/** Streams the ended provider batch's results into `batch_responses`, `RESULT_CHUNK` per transaction. */
export async function storeResults(
  deps: BatchWorkDeps,
  batch: Batch,
  target: BatchTarget,
  state: ProviderBatchState,
): Promise<void> {
  const tier = target.tiers[batch.tier]!;
  // `batch` was read under its row lock just before: results already stored are skipped.
  const skip = batch.resultsRead;
  let read = 0;
  let chunk: ProviderBatchResult[] = [];
  const write = async () => {
    const results = chunk;
    chunk = [];
    await deps.db.transaction().execute(async (tx) => {
      const locked = await lockBatch(tx, batch.id);
      if (!locked || !sameRun(locked, batch) || isFinalBatchStatus(locked.status)) return;
      const rows = await batchRequestsByCustomId(
        tx,
        batch.id,
        results.map((r) => r.customId),
      );
      const known = new Map(rows.map((r) => [r.customId, { ...r, attempts: r.attempts as BatchAttempt[] }]));
      const finals: NewBatchResponse[] = [];
      const escalations: { customId: string; attempts: BatchAttempt[] }[] = [];
      const retries: { customId: string; attempts: BatchAttempt[] }[] = [];
      const costs = new Map<string, ItemOutcome>();
      for (const result of results) {
        const row = known.get(result.customId);
        // A custom id the batch never had, one already moved on, or one the provider repeated.
        if (!row || row.tier !== batch.tier || costs.has(result.customId)) continue;
        const outcome = await outcomeOf(deps, locked, target, tier, state, result, row);
        costs.set(result.customId, outcome);
        if (outcome.final) finals.push(outcome.final);
        if (outcome.escalate) escalations.push(outcome.escalate);
        if (outcome.retry) retries.push(outcome.retry);
      }
      const inserted = await insertBatchResponses(tx, finals);
      const retried = await retryBatchRequests(tx, batch.id, batch.tier, retries);
      const moved = [...(await escalateBatchRequests(tx, batch.id, batch.tier, escalations)), ...retried];
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
      const answered: Partial<Record<BatchResponseStatus, number>> = {};
      for (const r of inserted) answered[r.status] = (answered[r.status] ?? 0) + 1;
      await addToBatchTotals(tx, batch.id, {
        answered,
        inputTokens: totals.input,
        outputTokens: totals.output,
        costMicros: totals.cost,
        syncCostMicros: totals.sync,
        topTierCostMicros: totals.top,
        resultsRead: read,
        retried: retried.length,
      });
      // Each answer read is a call-log row at batch pricing, so usage and spend reports count it.
      await insertLlmCalls(
        tx,
        counted.map((id) => callRowOf(locked, tier, costs.get(id)!)),
      );
    });
    await bookBatchSpend(deps, batch.id);
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
export async function answerMissing(
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
    await addToBatchTotals(tx, batch.id, { answered: { [status]: inserted.length } });
  }
}
