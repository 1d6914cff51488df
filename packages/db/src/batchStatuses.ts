/**
 * Where a batch is in its life: `draft` until submitted, then the provider's states. The one list
 * of batch statuses: types, zod schemas and provider mappings derive from it.
 */
export const BATCH_STATUSES = [
  "draft",
  "validating",
  "submitted",
  "in_progress",
  "finalizing",
  "completed",
  "failed",
  "expired",
  "cancelling",
  "cancelled",
] as const;

/** Where a batch is in its life (one of {@link BATCH_STATUSES}). */
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Statuses after which a batch never changes again. */
export const FINAL_BATCH_STATUSES = [
  "completed",
  "failed",
  "expired",
  "cancelled",
] as const satisfies readonly BatchStatus[];

/** A status after which a batch never changes again. */
export type FinalBatchStatus = (typeof FINAL_BATCH_STATUSES)[number];

/** True when a batch (or a provider batch) in `status` never changes again. */
export function isFinalBatchStatus(status: string): status is FinalBatchStatus {
  return (FINAL_BATCH_STATUSES as readonly string[]).includes(status);
}
