import type { ColumnType, Generated } from "kysely";
import type { BatchStatus } from "./batchStatuses.ts";

// The tables of batches: one row per batch, its validated requests and their answers.

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** JSON stored in a jsonb column. */
type Json = ColumnType<unknown, string, string>;

/** `batches`: a set of chat requests run through a provider's Batch API at batch pricing. */
export interface BatchesTable {
  id: Generated<string>;
  tenantId: string;
  name: string;
  description: string | null;
  provider: string;
  /** A model id, or `cascade:<name>`. */
  model: string;
  status: ColumnType<BatchStatus, BatchStatus | undefined, BatchStatus>;
  tier: ColumnType<number, number | undefined, number>;
  providerBatchId: string | null;
  inputFileId: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  requestCount: ColumnType<number, number | undefined, number>;
  succeededCount: ColumnType<number, number | undefined, number>;
  erroredCount: ColumnType<number, number | undefined, number>;
  expiredCount: ColumnType<number, number | undefined, number>;
  cancelledCount: ColumnType<number, number | undefined, number>;
  requestBytes: ColumnType<number, number | undefined, number>;
  inputTokens: ColumnType<number, number | undefined, number>;
  outputTokens: ColumnType<number, number | undefined, number>;
  costMicros: ColumnType<number, number | undefined, number>;
  syncCostMicros: ColumnType<number, number | undefined, number>;
  topTierCostMicros: ColumnType<number, number | undefined, number>;
  completionWindow: ColumnType<string, string | undefined, string>;
  webhookUrl: string | null;
  metadata: ColumnType<Record<string, string>, string | undefined, string>;
  errorMessage: string | null;
  resultsRead: ColumnType<number, number | undefined, number>;
  pollSeq: ColumnType<number, number | undefined, number>;
  /** Requests of the tier now at the provider, and how many it reports done (succeeded or failed). */
  providerTotalCount: ColumnType<number, number | undefined, number>;
  providerDoneCount: ColumnType<number, number | undefined, number>;
  /** Requests sent again in a follow-up provider batch after a retriable provider error. */
  retriedCount: ColumnType<number, number | undefined, number>;
  /** The budget lease holder of the tier's reservation while it runs (null: none held). */
  budgetHolder: ColumnType<string | null, string | null | undefined, string | null>;
  /** The UTC day (`YYYY-MM-DD`) that reservation was made in. */
  budgetDay: ColumnType<string | null, string | null | undefined, string | null>;
  /** Of `costMicros`, what has been booked as spend against the tenant's budgets. */
  budgetBookedMicros: ColumnType<number, number | undefined, number>;
  /** The API key that created the batch: its budgets count the batch's spend too. */
  apiKeyId: ColumnType<string | null, string | null | undefined, string | null>;
  jobId: string | null;
  createdAt: CreatedAt;
  submittedAt: NullableTimestamp;
  finishedAt: NullableTimestamp;
  updatedAt: Timestamp;
}

/** States of one request of a batch. */
export type BatchRequestStatus = "pending" | "submitted" | "succeeded" | "errored" | "expired" | "cancelled";

/** `batch_requests`: the validated chat requests of a batch, in input order. */
export interface BatchRequestsTable {
  batchId: string;
  customId: string;
  seq: number;
  body: Json;
  status: ColumnType<BatchRequestStatus, BatchRequestStatus | undefined, BatchRequestStatus>;
  tier: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<unknown[], string | undefined, string>;
}

/** Final states of one request's answer. */
export type BatchResponseStatus = "succeeded" | "errored" | "expired" | "cancelled";

/** `batch_responses`: one answer per request, with its tokens and cost at batch pricing. */
export interface BatchResponsesTable {
  batchId: string;
  customId: string;
  seq: number;
  status: BatchResponseStatus;
  model: string | null;
  response: ColumnType<unknown, string | null | undefined, string | null>;
  error: ColumnType<unknown, string | null | undefined, string | null>;
  inputTokens: ColumnType<number, number | undefined, number>;
  outputTokens: ColumnType<number, number | undefined, number>;
  costMicros: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<unknown[], string | undefined, string>;
  createdAt: CreatedAt;
}
