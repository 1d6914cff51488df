import { BATCH_STATUSES, type BatchStatus, isFinalBatchStatus } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ProviderChatRequest, ProviderChatResult } from "./provider.ts";

/** One request of a provider batch, named by the caller's id (unique within the batch). */
export interface ProviderBatchRequest {
  customId: string;
  request: ProviderChatRequest;
}

/**
 * Where a provider batch is in its life, in OpenAI's vocabulary (Anthropic's is mapped onto it):
 * a Sluice batch's statuses but those it has before reaching a provider.
 */
export type ProviderBatchStatus = Exclude<BatchStatus, "draft" | "submitted">;

/** Every status a provider batch can report. */
export const PROVIDER_BATCH_STATUSES: readonly ProviderBatchStatus[] = BATCH_STATUSES.filter(
  (s): s is ProviderBatchStatus => s !== "draft" && s !== "submitted",
);

/** A provider batch as the provider reports it now. */
export interface ProviderBatchState {
  id: string;
  status: ProviderBatchStatus;
  /**
   * As the provider counts them. Anthropic's expired and canceled requests count as neither
   * succeeded nor errored; OpenAI counts the requests of an expired batch as failed.
   */
  counts: { total: number; succeeded: number; errored: number };
  /** OpenAI only. */
  inputFileId: string | null;
  /** OpenAI only. */
  outputFileId: string | null;
  /** OpenAI only. */
  errorFileId: string | null;
  /** Batch-level errors (e.g. OpenAI validation failures), with line numbers where the provider gives them. */
  errors: { line: number | null; code: string; message: string }[];
}

/** The outcome of one request of a finished batch. */
export type ProviderBatchResult =
  | { customId: string; status: "succeeded"; result: ProviderChatResult }
  | {
      customId: string;
      status: "errored";
      error: { code: string; message: string; httpStatus: number | null };
    }
  | { customId: string; status: "expired" | "cancelled" };

/** Most requests and bytes one batch may hold at a provider. */
export interface ProviderBatchLimits {
  maxRequests: number;
  /** Bytes of the JSONL file (OpenAI) or JSON body (Anthropic) that carries the requests. */
  maxBytes: number;
}

/** A provider's asynchronous Batch API: half-price, results within 24 hours. */
export interface ProviderBatchApi {
  /** Most requests and bytes (of the JSONL/JSON payload) one batch may hold at this provider. */
  readonly limits: ProviderBatchLimits;
  /** Submits requests as one batch; throws `validation_error`, before sending anything, when they exceed `limits`. */
  create(
    requests: AsyncIterable<ProviderBatchRequest>,
    options: { metadata?: Record<string, string>; signal: AbortSignal },
  ): Promise<ProviderBatchState>;
  retrieve(id: string, options: { signal: AbortSignal }): Promise<ProviderBatchState>;
  cancel(id: string, options: { signal: AbortSignal }): Promise<ProviderBatchState>;
  /**
   * Every item's result of a finished (completed/expired/cancelled) batch, streamed one at a time,
   * never the whole file in memory. Requests that never ran may have no result at all: callers
   * treat the missing ids of a cancelled or expired batch as cancelled or expired.
   */
  results(state: ProviderBatchState, options: { signal: AbortSignal }): AsyncIterable<ProviderBatchResult>;
}

/** Rejects a results call for a batch that is still running. */
export function assertBatchFinished(provider: string, state: ProviderBatchState): void {
  if (!isFinalBatchStatus(state.status)) {
    throw new SluiceError(
      "validation_error",
      `${provider} batch ${state.id} is ${state.status}: its results exist once it has finished`,
      { details: { provider, batchId: state.id, status: state.status } },
    );
  }
}

/**
 * Counts a batch's requests and payload bytes (`envelopeBytes` for what wraps them) as they are
 * serialized, and throws `validation_error` at the first request that exceeds the provider's limits
 * or repeats a custom id.
 */
export function createBatchTally(provider: string, limits: ProviderBatchLimits, envelopeBytes = 0) {
  const seen = new Set<string>();
  let requests = 0;
  let bytes = envelopeBytes;
  const reject = (message: string) =>
    new SluiceError("validation_error", `${provider} batch: ${message}`, {
      details: { provider, ...limits },
    });
  return {
    /** Adds one request whose serialized form takes `size` bytes. */
    add(customId: string, size: number): void {
      if (seen.has(customId)) throw reject(`custom id "${customId}" appears twice`);
      seen.add(customId);
      requests++;
      bytes += size;
      if (requests > limits.maxRequests)
        throw reject(`more than ${limits.maxRequests} requests (the most one batch may hold)`);
      if (bytes > limits.maxBytes)
        throw reject(`the requests take more than ${limits.maxBytes} bytes (the most one batch may hold)`);
    },
    /** Throws when no request was added: providers reject empty batches. */
    finish(): { requests: number; bytes: number } {
      if (requests === 0) throw reject("a batch needs at least one request");
      return { requests, bytes };
    },
  };
}

/**
 * Splits a streamed body into its non-blank lines as they arrive, so a result file of any size
 * is read with one line in memory.
 */
export async function* jsonlLines(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n", start)) {
      const line = pending.slice(start, end).trim();
      start = end + 1;
      if (line) yield line;
    }
    pending = pending.slice(start);
  }
  const last = (pending + decoder.decode()).trim();
  if (last) yield last;
}

/** Parses one result line; `undefined` when it is not a JSON object. */
export function parseResultLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The `errored` result of a line that cannot be read, keeping its custom id when one can be found. */
export function malformedResult(line: string, message: string): ProviderBatchResult {
  const parsed = parseResultLine(line)?.custom_id;
  return {
    customId: typeof parsed === "string" ? parsed : (customIdIn(line) ?? ""),
    status: "errored",
    error: { code: "malformed_response", message, httpStatus: null },
  };
}

// An unparseable line may still name its request: recover the id so callers can match it.
function customIdIn(line: string): string | undefined {
  const raw = /"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(line)?.[1];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as string;
  } catch {
    return undefined;
  }
}
