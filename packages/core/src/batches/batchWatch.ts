import { isFinalBatchStatus } from "@sluice/db";
import { type Clock, sleepOn, systemClock } from "../limits/clock.ts";
import type { BatchScope, BatchService } from "./batchService.ts";
import type { PublicBatch } from "./publicBatch.ts";

export { isFinalBatchStatus };

/** How often a watcher looks at its batch, unless told otherwise. */
export const BATCH_WATCH_POLL_MS = 500;

/** What makes a batch worth showing again: its status, tier, counts, progress at the provider, retries or cost. */
function changeKey(batch: PublicBatch): string {
  return JSON.stringify([
    batch.status,
    batch.tier,
    batch.counts,
    batch.atProvider,
    batch.retried,
    batch.costMicros,
  ]);
}

/**
 * The batch as it changes: yielded first as it is, then on every change, ending once it is final
 * or `signal` aborts. An unknown batch (or another tenant's) throws `not_found` before anything.
 */
export async function* watchBatch(
  batches: Pick<BatchService, "get">,
  scope: BatchScope,
  id: string,
  options: { signal: AbortSignal; pollMs?: number; clock?: Clock },
): AsyncGenerator<PublicBatch, void, undefined> {
  const clock = options.clock ?? systemClock;
  let last = "";
  for (;;) {
    const batch = await batches.get(scope, id);
    const key = changeKey(batch);
    if (key !== last) {
      last = key;
      yield batch;
    }
    if (isFinalBatchStatus(batch.status) || options.signal.aborted) return;
    try {
      await sleepOn(clock, options.pollMs ?? BATCH_WATCH_POLL_MS, options.signal);
    } catch {
      return;
    }
  }
}
