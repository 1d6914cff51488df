import type Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/messages";
import type { BatchCreateParams, MessageBatch } from "@anthropic-ai/sdk/resources/messages/batches";
import type { Message } from "@anthropic-ai/sdk/resources/messages/messages";
import { SluiceError } from "../errors/sluiceError.ts";
import { messageResultOf } from "./anthropicMessages.ts";
import { toParams } from "./anthropicParams.ts";
import { lazyAnthropicClient } from "./anthropicSdk.ts";
import {
  assertBatchFinished,
  createBatchTally,
  jsonlLines,
  malformedResult,
  type ProviderBatchApi,
  type ProviderBatchLimits,
  type ProviderBatchRequest,
  type ProviderBatchResult,
  type ProviderBatchState,
  type ProviderBatchStatus,
  parseResultLine,
} from "./batchApi.ts";
import {
  abortError,
  type FailureSite,
  malformedResponse,
  streamFailure,
  toSluiceError,
} from "./providerErrors.ts";

/** Settings of Anthropic's Message Batches API. */
export interface AnthropicBatchApiOptions {
  name: string;
  apiKey: string;
  baseUrl?: string | undefined;
  /** Used when a request does not set `maxTokens`, as the provider does. */
  defaultMaxTokens?: number;
  timeoutMs?: number;
  limits?: Partial<ProviderBatchLimits>;
}

/** Anthropic's limits of one batch: 100,000 requests in a body of 256 MB (decimal, to stay under). */
export const anthropicBatchLimits: ProviderBatchLimits = { maxRequests: 100_000, maxBytes: 256_000_000 };

// `{"requests":[…]}` around the requests; less the comma that the first request does not have.
const ENVELOPE_BYTES = '{"requests":[]}'.length - 1;

// Anthropic's documented status of each error type; a batch result carries only the type.
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function statusOf(batch: MessageBatch): ProviderBatchStatus | undefined {
  if (batch.processing_status === "in_progress") return "in_progress";
  if (batch.processing_status === "canceling") return "cancelling";
  if (batch.processing_status === "ended") return batch.cancel_initiated_at ? "cancelled" : "completed";
  return undefined;
}

function stateOf(batch: MessageBatch, site: FailureSite): ProviderBatchState {
  const status = typeof batch?.id === "string" && batch.request_counts ? statusOf(batch) : undefined;
  if (!status) throw malformedResponse(site, "a message batch without an id, counts or a known status");
  const c = batch.request_counts;
  return {
    id: batch.id,
    status,
    counts: {
      total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
      succeeded: c.succeeded,
      errored: c.errored,
    },
    inputFileId: null,
    outputFileId: null,
    errorFileId: null,
    errors: [],
  };
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value ? value : undefined);

interface ResultLine {
  custom_id?: unknown;
  result?: { type?: unknown; message?: unknown; error?: { error?: Record<string, unknown> } };
}

/** One line of the results file as a result; a line that cannot be read is `malformed_response`. */
function resultOf(line: string, provider: string): ProviderBatchResult {
  const parsed = parseResultLine(line) as ResultLine | undefined;
  const customId = parsed?.custom_id;
  if (typeof customId !== "string")
    return malformedResult(line, `${provider} sent a batch result line without a custom_id`);
  const result = parsed?.result;
  if (result?.type === "canceled") return { customId, status: "cancelled" };
  if (result?.type === "expired") return { customId, status: "expired" };
  if (result?.type === "errored") {
    const inner = result.error?.error;
    const code = text(inner?.type) ?? "provider_error";
    const error = { code, message: text(inner?.message) ?? "", httpStatus: ERROR_STATUS[code] ?? null };
    return { customId, status: "errored", error };
  }
  if (result?.type === "succeeded") {
    const message = result.message as Message;
    const site = { provider, model: text(message?.model) ?? "unknown" };
    try {
      return { customId, status: "succeeded", result: messageResultOf(message, site) };
    } catch (error) {
      return malformedResult(line, (error as Error).message);
    }
  }
  return malformedResult(line, `${provider} sent a batch result of an unknown type`);
}

/**
 * Anthropic's Message Batches API over the official SDK (loaded on first use). The SDK takes the
 * whole request array, so `create` holds the batch in memory (at most `limits.maxBytes`); results
 * are streamed line by line.
 */
export function createAnthropicBatchApi(options: AnthropicBatchApiOptions): ProviderBatchApi {
  const clientOf = lazyAnthropicClient(options);
  const name = options.name;
  const defaultMaxTokens = options.defaultMaxTokens ?? 4096;
  const limits = { ...anthropicBatchLimits, ...options.limits };
  const site = { provider: name, model: "batch" };

  function paramsOf({ customId, request }: ProviderBatchRequest): MessageCreateParamsNonStreaming {
    try {
      return toParams(request, defaultMaxTokens) as MessageCreateParamsNonStreaming;
    } catch (error) {
      if (!(error instanceof SluiceError)) throw error;
      throw new SluiceError(error.code, `${name} batch request "${customId}": ${error.message}`, {
        details: { provider: name, customId },
        cause: error,
      });
    }
  }

  async function collect(
    requests: AsyncIterable<ProviderBatchRequest>,
    signal: AbortSignal,
  ): Promise<BatchCreateParams.Request[]> {
    const tally = createBatchTally(name, limits, ENVELOPE_BYTES);
    const all: BatchCreateParams.Request[] = [];
    for await (const item of requests) {
      if (signal.aborted) throw abortError(signal);
      const entry = { custom_id: item.customId, params: paramsOf(item) };
      tally.add(item.customId, Buffer.byteLength(JSON.stringify(entry)) + 1);
      all.push(entry);
    }
    tally.finish();
    return all;
  }

  async function call(run: (client: Anthropic) => Promise<MessageBatch>): Promise<ProviderBatchState> {
    try {
      return stateOf(await run(await clientOf()), site);
    } catch (error) {
      throw toSluiceError(error, site);
    }
  }

  async function* results(
    state: ProviderBatchState,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderBatchResult> {
    assertBatchFinished(name, state);
    let body: ReadableStream<Uint8Array> | null;
    try {
      const client = await clientOf();
      // Not `batches.results()`: its decoder throws at the first unparseable line and ends the stream.
      const response = await client
        .get(`/v1/messages/batches/${encodeURIComponent(state.id)}/results`, {
          headers: { accept: "application/binary" },
          signal,
        })
        .asResponse();
      body = response.body;
    } catch (error) {
      throw toSluiceError(error, site);
    }
    if (!body) throw malformedResponse(site, `batch ${state.id} has no results`);
    try {
      for await (const line of jsonlLines(body)) yield resultOf(line, name);
    } catch (error) {
      throw streamFailure(error, site, signal, true);
    }
  }

  return {
    limits,
    async create(requests, { signal }) {
      // Anthropic batches take no metadata: callers keep theirs next to the batch id.
      const all = await collect(requests, signal);
      return call((client) => client.messages.batches.create({ requests: all }, { signal }));
    },
    retrieve: (id, { signal }) => call((client) => client.messages.batches.retrieve(id, {}, { signal })),
    cancel: (id, { signal }) => call((client) => client.messages.batches.cancel(id, {}, { signal })),
    results,
  };
}
