import {
  type Batch,
  type BatchResponseStatus,
  countPendingRequests,
  countTierRequests,
  type Db,
  isFinalBatchStatus,
  lockBatch,
  tenantWebhookUrls,
  updateBatch,
} from "@sluice/db";
import type { ProviderBatchState, ProviderBatchStatus } from "../providers/batchApi.ts";
import { releaseTier } from "./batchBudget.ts";
import { answerMissing } from "./batchResults.ts";
import type { BatchTarget } from "./batchTarget.ts";
import { type BatchWorkDeps, sameRun } from "./batchWork.ts";

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

/**
 * Ends a batch now: every request without an answer gets one (`cancelled`, or `errored` with the
 * error), and the batch ends `cancelled` or `failed`. Used when it never reached its provider, and
 * when it cannot be followed any more.
 */
export async function endBatch(
  deps: BatchWorkDeps,
  batchId: string,
  status: "cancelled" | "failed",
  error?: { code: string; message: string },
): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const locked = await lockBatch(tx, batchId);
    if (!locked || isFinalBatchStatus(locked.status)) return;
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
  // Whatever the tier had reserved and not spent goes back to the tenant's budgets.
  await releaseTier(deps, batchId);
}

/** What a request without a result becomes, by how its provider batch ended. */
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
export async function finishTier(
  deps: BatchWorkDeps,
  seen: Batch,
  target: BatchTarget,
  state: ProviderBatchState,
): Promise<string> {
  const status = await endTier(deps, seen, target, state);
  // The tier's provider batch has ended: its reservation is settled and the rest given back (a next
  // tier or retry round reserves its own when it is sent).
  await releaseTier(deps, seen.id, seen.budgetHolder);
  return status;
}

async function endTier(
  deps: BatchWorkDeps,
  seen: Batch,
  target: BatchTarget,
  state: ProviderBatchState,
): Promise<string> {
  const batchId = seen.id;
  const tierIndex = seen.tier;
  return deps.db.transaction().execute(async (tx) => {
    const batch = await lockBatch(tx, batchId);
    if (!batch || !sameRun(batch, seen) || isFinalBatchStatus(batch.status))
      return batch?.status ?? "deleted";
    const cancelRequested = batch.status === "cancelling";
    // Requests that failed with a retriable error go again at this tier, before any escalation.
    if (
      state.status === "completed" &&
      !cancelRequested &&
      (await countPendingRequests(tx, batchId, tierIndex)) > 0
    ) {
      const again = await updateBatch(tx, batchId, {
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
          payload: { batchId, tier: tierIndex },
          // One submit per round: the poll sequence only grows.
          idempotencyKey: `batch.submit:${batchId}:${tierIndex}:retry:${again.pollSeq}`,
        },
      );
      return "submitted";
    }
    const missing = MISSING[state.status];
    const batchError = state.errors
      .map((e) => (e.line === null ? e.message : `line ${e.line}: ${e.message}`))
      .join("; ");
    await answerMissing(tx, batch, missing.status, {
      code: missing.code,
      message: state.status === "failed" && batchError ? batchError : missing.message,
    });
    const escalated = await countTierRequests(tx, batchId, tierIndex + 1);
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
