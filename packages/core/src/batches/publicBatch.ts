import type { Batch, BatchRequest, BatchResponse, BatchStatus } from "@sluice/db";

/** A batch as its tenant sees it. Money is in integer micro-dollars. */
export interface PublicBatch {
  id: string;
  name: string;
  description: string | null;
  /** The provider of the tier now running (or next to run). */
  provider: string;
  /** A model id or `cascade:<name>`. */
  model: string;
  status: BatchStatus;
  /** Cascade batches: the tier now at the provider (0 for plain models). */
  tier: number;
  providerBatchId: string | null;
  completionWindow: string;
  webhookUrl: string | null;
  metadata: Record<string, string>;
  counts: { total: number; succeeded: number; errored: number; expired: number; cancelled: number };
  /**
   * The tier now at the provider as the provider counts it: its requests, and how many it has
   * worked through (answered or failed). Answers reach `counts` once the provider batch has ended.
   */
  atProvider: { total: number; done: number };
  /** Requests sent again in a follow-up provider batch after a retriable provider error. */
  retried: number;
  usage: { inputTokens: number; outputTokens: number };
  /** At batch pricing. */
  costMicros: number;
  /** What the same answers would have cost as synchronous calls. */
  syncCostMicros: number;
  savingsMicros: number;
  /** Cascade batches: what the top tier alone would have cost synchronously. */
  topTierCostMicros: number;
  error: string | null;
  createdAt: Date;
  submittedAt: Date | null;
  finishedAt: Date | null;
}

/** The public view of a batch row. */
export function publicBatch(batch: Batch): PublicBatch {
  return {
    id: batch.id,
    name: batch.name,
    description: batch.description,
    provider: batch.provider,
    model: batch.model,
    status: batch.status,
    tier: batch.tier,
    providerBatchId: batch.providerBatchId,
    completionWindow: batch.completionWindow,
    webhookUrl: batch.webhookUrl,
    metadata: batch.metadata,
    counts: {
      total: batch.requestCount,
      succeeded: batch.succeededCount,
      errored: batch.erroredCount,
      expired: batch.expiredCount,
      cancelled: batch.cancelledCount,
    },
    atProvider: { total: batch.providerTotalCount, done: batch.providerDoneCount },
    retried: batch.retriedCount,
    usage: { inputTokens: batch.inputTokens, outputTokens: batch.outputTokens },
    costMicros: batch.costMicros,
    syncCostMicros: batch.syncCostMicros,
    savingsMicros: batch.syncCostMicros - batch.costMicros,
    topTierCostMicros: batch.topTierCostMicros,
    error: batch.errorMessage,
    createdAt: batch.createdAt,
    submittedAt: batch.submittedAt,
    finishedAt: batch.finishedAt,
  };
}

/** One request of a batch. */
export interface PublicBatchRequest {
  customId: string;
  status: BatchRequest["status"];
  tier: number;
  body: unknown;
}

export function publicBatchRequest(r: BatchRequest): PublicBatchRequest {
  return { customId: r.customId, status: r.status, tier: r.tier, body: r.body };
}

/** One tier that answered a request of a cascade batch. */
export interface BatchAttempt {
  tier: number;
  model: string;
  accepted: boolean;
  reason: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** Set when this attempt failed with a retriable error and the request was sent again. */
  retried?: boolean;
}

/** One answer of a batch. */
export interface PublicBatchResponse {
  customId: string;
  status: BatchResponse["status"];
  /** The model that gave the final answer. */
  model: string | null;
  /** An OpenAI-style chat completion for succeeded requests. */
  response: unknown;
  error: unknown;
  usage: { inputTokens: number; outputTokens: number };
  /** All tiers' cost at batch pricing. */
  costMicros: number;
  attempts: BatchAttempt[];
}

export function publicBatchResponse(r: BatchResponse): PublicBatchResponse {
  return {
    customId: r.customId,
    status: r.status,
    model: r.model,
    response: r.response,
    error: r.error,
    usage: { inputTokens: r.inputTokens, outputTokens: r.outputTokens },
    costMicros: r.costMicros,
    attempts: r.attempts as BatchAttempt[],
  };
}
