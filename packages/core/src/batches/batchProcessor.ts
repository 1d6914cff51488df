import {
  advanceBatchPollSeq,
  type Batch,
  type Db,
  findBatchById,
  isFinalBatchStatus,
  lockBatch,
  readBatchRequests,
  setBatchRequestStatus,
  updateBatch,
} from "@sluice/db";
import { isSluiceError } from "../errors/sluiceError.ts";
import { systemClock } from "../limits/clock.ts";
import type { ProviderBatchRequest, ProviderBatchState } from "../providers/batchApi.ts";
import type { ChatRequest } from "../schemas/chatRequest.ts";
import { dropTier, keepTier, providerRequestOf, reserveTier, type TierReservation } from "./batchBudget.ts";
import { endBatch, finishTier } from "./batchEnding.ts";
import { storeResults } from "./batchResults.ts";
import { type BatchTarget, type BatchTier, resolveBatchTarget } from "./batchTarget.ts";
import { type BatchWorkDeps, sameRun } from "./batchWork.ts";

export { type BatchWorkDeps, RESULT_CHUNK } from "./batchWork.ts";

async function* providerRequests(
  db: Db,
  batch: Batch,
  target: BatchTarget,
): AsyncGenerator<ProviderBatchRequest> {
  // Only the requests waiting to be sent: a retry round sends the retried ones, not the answered.
  for await (const row of readBatchRequests(db, batch.id, batch.tier, 1000, "pending")) {
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
      runAt: new Date((deps.clock ?? systemClock).now() + deps.pollIntervalMs),
    },
  );
}

/** The provider's own count of the tier's requests and of those it has worked through, for watchers. */
function providerCounts(state: ProviderBatchState) {
  return {
    providerTotalCount: state.counts.total,
    providerDoneCount: state.counts.succeeded + state.counts.errored,
  };
}

/** Advances the batch's poll sequence from `seq` and schedules that poll; false when `seq` is stale. */
async function scheduleNextPoll(tx: Db, deps: BatchWorkDeps, batchId: string, seq: number): Promise<boolean> {
  if (seq < 0) return false;
  const next = await advanceBatchPollSeq(tx, batchId, seq);
  if (next === undefined) return false;
  await schedulePoll(tx, deps, batchId, next);
  return true;
}

/**
 * Gives up on a batch whose job cannot succeed (its last attempt failed, or the error cannot be
 * retried): the provider batch, if any, is cancelled (best effort) and the batch ends `failed` with
 * the reason, every unanswered request `errored`.
 */
export async function abandonBatch(deps: BatchWorkDeps, batchId: string, error: unknown): Promise<void> {
  const batch = await findBatchById(deps.db, batchId);
  if (!batch || isFinalBatchStatus(batch.status)) return;
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
 *
 * Contract: running it again for a tier already sent changes nothing. Runs that overlap (a retried
 * job whose first attempt still runs) may each create a provider batch; the first to record its own
 * keeps it and every other run cancels its surplus one. Whichever run wins, and whether or not they
 * overlapped, every run returns the provider batch id the batch keeps for this tier (null when it
 * kept none: ended, deleted, or moved to another tier), so callers never see the surplus id.
 */
export async function submitBatch(
  deps: BatchWorkDeps,
  payload: { batchId: string; tier: number },
): Promise<{ providerBatchId: string | null; status: string }> {
  const batch = await findBatchById(deps.db, payload.batchId);
  if (!batch) return { providerBatchId: null, status: "deleted" };
  if (batch.tier !== payload.tier || batch.providerBatchId || isFinalBatchStatus(batch.status)) {
    return { providerBatchId: batch.providerBatchId, status: batch.status };
  }
  if (batch.status === "cancelling") {
    await endBatch(deps, batch.id, "cancelled");
    return { providerBatchId: null, status: "cancelled" };
  }
  const target = resolveBatchTarget(deps.runtime, batch.model);
  const tier = target.tiers[batch.tier]!;
  let reservation: TierReservation;
  try {
    // The tier's most at batch pricing is reserved before the provider sees it.
    reservation = await reserveTier(deps, batch, target);
  } catch (error) {
    if (isSluiceError(error) && !error.retriable) {
      await endBatch(deps, batch.id, "failed", error);
      return { providerBatchId: null, status: "failed" };
    }
    throw error;
  }
  let state: ProviderBatchState;
  try {
    state = await tier.api.create(providerRequests(deps.db, batch, target), {
      metadata: { ...batch.metadata, sluice_batch_id: batch.id, sluice_tier: String(batch.tier) },
      signal: deps.signal,
    });
  } catch (error) {
    await dropTier(deps, reservation);
    if (isSluiceError(error) && !error.retriable) {
      await endBatch(deps, batch.id, "failed", error);
      return { providerBatchId: null, status: "failed" };
    }
    throw error;
  }
  const outcome = await deps.db.transaction().execute(async (tx) => {
    const locked = await lockBatch(tx, batch.id);
    // Another run of this job got there first (or the batch ended meanwhile): this provider batch is surplus.
    if (!locked || !sameRun(locked, batch) || isFinalBatchStatus(locked.status)) {
      const kept = locked?.tier === batch.tier ? locked.providerBatchId : null;
      return { surplus: { providerBatchId: kept, status: locked?.status ?? "deleted" } };
    }
    await updateBatch(tx, batch.id, {
      providerBatchId: state.id,
      budgetHolder: reservation.holder,
      budgetDay: reservation.day,
      inputFileId: state.inputFileId,
      provider: tier.provider.name,
      status: locked.status === "cancelling" ? "cancelling" : state.status,
      resultsRead: 0,
      ...providerCounts(state),
    });
    await setBatchRequestStatus(tx, batch.id, batch.tier, ["pending"], "submitted");
    const seq = await advanceBatchPollSeq(tx, batch.id);
    await schedulePoll(tx, deps, batch.id, seq!);
    return locked.status === "cancelling" ? "cancel" : "sent";
  });
  // The run whose provider batch the batch kept keeps its reservation; a surplus run gives its back.
  if (typeof outcome === "object") await dropTier(deps, reservation);
  else await keepTier(deps, reservation);
  if (outcome !== "sent") await cancelQuietly(tier, state.id, deps.signal);
  if (typeof outcome === "object") return outcome.surplus;
  return { providerBatchId: state.id, status: state.status };
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
  if (!batch || isFinalBatchStatus(batch.status)) return { status: batch?.status ?? "deleted" };
  if (!batch.providerBatchId) {
    // Not at the provider yet: its submit job ends a cancelled batch itself.
    return { status: batch.status };
  }
  const target = resolveBatchTarget(deps.runtime, batch.model);
  const tier = target.tiers[batch.tier]!;
  let state = await tier.api.retrieve(batch.providerBatchId, { signal: deps.signal });
  if (batch.status === "cancelling" && !isFinalBatchStatus(state.status) && state.status !== "cancelling") {
    state = await cancelQuietly(tier, batch.providerBatchId, deps.signal);
  }
  const counted = providerCounts(state);
  await deps.progress?.(
    Math.min(99, Math.floor((counted.providerDoneCount / Math.max(1, counted.providerTotalCount)) * 100)),
    `tier ${batch.tier}: ${state.status}`,
  );
  if (!isFinalBatchStatus(state.status)) {
    await deps.db.transaction().execute(async (tx) => {
      const locked = await lockBatch(tx, batch.id);
      if (!locked || isFinalBatchStatus(locked.status) || !sameRun(locked, batch)) return;
      const status =
        locked.status !== "cancelling" && locked.status !== state.status ? state.status : undefined;
      const moved =
        locked.providerDoneCount !== counted.providerDoneCount ||
        locked.providerTotalCount !== counted.providerTotalCount;
      if (status || moved) await updateBatch(tx, batch.id, { ...(status ? { status } : {}), ...counted });
      await scheduleNextPoll(tx, deps, batch.id, payload.seq);
    });
    return { status: state.status };
  }
  const current = await deps.db.transaction().execute(async (tx) => {
    const locked = await lockBatch(tx, batch.id);
    if (!locked || isFinalBatchStatus(locked.status) || !sameRun(locked, batch)) return undefined;
    // A requested cancel stays visible while the results are stored.
    return updateBatch(tx, batch.id, {
      ...(locked.status === "cancelling" ? {} : { status: "finalizing" as const }),
      ...counted,
      outputFileId: state.outputFileId,
      errorFileId: state.errorFileId,
    });
  });
  if (!current) return { status: "superseded" };
  await storeResults(deps, current, target, state);
  const finished = await finishTier(deps, current, target, state);
  return { status: finished };
}
