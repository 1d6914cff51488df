import type { BatchStatus, OpenAiBatchLink, StoredFile } from "@sluice/db";
import type { PublicBatch } from "../batches/publicBatch.ts";

/** The statuses of OpenAI's Batch object. */
export type OpenAiBatchStatus =
  | "validating"
  | "in_progress"
  | "finalizing"
  | "completed"
  | "failed"
  | "expired"
  | "cancelling"
  | "cancelled";

/** A batch in OpenAI's Batch object shape, with Sluice's figures under `sluice`. */
export interface OpenAiBatchObject {
  id: string;
  object: "batch";
  endpoint: string;
  errors: { object: "list"; data: { code: string; message: string; param: null; line: null }[] } | null;
  input_file_id: string;
  completion_window: string;
  status: OpenAiBatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string>;
  sluice: {
    model: string;
    cost_micros: number;
    sync_cost_micros: number;
    savings_micros: number;
    usage: { input_tokens: number; output_tokens: number };
    /** Requests sent again in a follow-up provider batch after a retriable provider error. */
    retried: number;
  };
}

/** A file in OpenAI's File object shape. */
export interface OpenAiFileObject {
  id: string;
  object: "file";
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: string;
  status_details: null;
  expires_at: null;
}

const seconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/**
 * Sluice's status as OpenAI names it. `submitted` is the wait for the submit job: before anything
 * was sent that is still OpenAI's `validating`; between the tiers of a cascade or before a retry
 * round (`sentBefore`) the batch is running.
 */
export function openAiBatchStatus(status: BatchStatus, tier: number, sentBefore = false): OpenAiBatchStatus {
  switch (status) {
    case "draft":
    case "validating":
      return "validating";
    case "submitted":
      return tier > 0 || sentBefore ? "in_progress" : "validating";
    default:
      return status;
  }
}

/** The OpenAI-shaped view of a batch created through `/v1/batches`. */
export function openAiBatchObject(
  batch: PublicBatch,
  link: OpenAiBatchLink,
  retried: number,
): OpenAiBatchObject {
  // A retry round waits for its submit like the first one, but the batch has been running.
  const status = openAiBatchStatus(batch.status, batch.tier, batch.atProvider.total > 0);
  const finished = seconds(batch.finishedAt);
  const at = (s: OpenAiBatchStatus) => (status === s ? finished : null);
  const c = batch.counts;
  return {
    id: batch.id,
    object: "batch",
    endpoint: link.endpoint,
    errors:
      status === "failed" && batch.error
        ? { object: "list", data: [{ code: "batch_failed", message: batch.error, param: null, line: null }] }
        : null,
    input_file_id: link.inputFileId,
    completion_window: batch.completionWindow,
    status,
    output_file_id: link.outputFileId,
    error_file_id: link.errorFileId,
    created_at: seconds(batch.createdAt)!,
    in_progress_at: status === "validating" ? null : seconds(batch.submittedAt),
    // Providers answer within the 24-hour window or expire the rest.
    expires_at: seconds(batch.createdAt)! + 24 * 3600,
    finalizing_at: null,
    completed_at: at("completed"),
    failed_at: at("failed"),
    expired_at: at("expired"),
    cancelling_at: null,
    cancelled_at: at("cancelled"),
    request_counts: { total: c.total, completed: c.succeeded, failed: c.errored + c.expired + c.cancelled },
    metadata: batch.metadata,
    sluice: {
      model: batch.model,
      cost_micros: batch.costMicros,
      sync_cost_micros: batch.syncCostMicros,
      savings_micros: batch.savingsMicros,
      usage: { input_tokens: batch.usage.inputTokens, output_tokens: batch.usage.outputTokens },
      retried,
    },
  };
}

/** The OpenAI-shaped view of a stored file. */
export function openAiFileObject(file: StoredFile): OpenAiFileObject {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: Math.floor(file.createdAt.getTime() / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: file.status,
    status_details: null,
    expires_at: null,
  };
}
