import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import OpenAI, { toStreamingFile } from "openai";
import type { Batch } from "openai/resources/batches";
import type { ChatCompletion } from "openai/resources/chat/completions";
import {
  assertBatchFinished,
  createBatchTally,
  jsonlLines,
  malformedResult,
  PROVIDER_BATCH_STATUSES,
  type ProviderBatchApi,
  type ProviderBatchLimits,
  type ProviderBatchRequest,
  type ProviderBatchResult,
  type ProviderBatchState,
  type ProviderBatchStatus,
  parseResultLine,
} from "./batchApi.ts";
import { chatResultOf, toParams } from "./openaiProvider.ts";
import { type FailureSite, malformedResponse, streamFailure, toSluiceError } from "./providerErrors.ts";

/** Settings of an OpenAI-compatible Batch API (Files API + Batches API). */
export interface OpenAiBatchApiOptions {
  name: string;
  apiKey: string;
  baseUrl?: string | undefined;
  /** Ceiling of each call until its response starts (uploads of 200 MB take a while). */
  timeoutMs?: number;
  limits?: Partial<ProviderBatchLimits>;
}

/** OpenAI's limits of one batch: 50,000 requests in an input file of 200 MB (decimal, to stay under). */
export const openAiBatchLimits: ProviderBatchLimits = { maxRequests: 50_000, maxBytes: 200_000_000 };

const ENDPOINT = "/v1/chat/completions";

const STATUSES = new Set<ProviderBatchStatus>(PROVIDER_BATCH_STATUSES);

function stateOf(batch: Batch, site: FailureSite): ProviderBatchState {
  if (typeof batch?.id !== "string" || !STATUSES.has(batch.status)) {
    throw malformedResponse(site, "a batch without an id or a known status");
  }
  const counts = batch.request_counts;
  return {
    id: batch.id,
    status: batch.status,
    counts: { total: counts?.total ?? 0, succeeded: counts?.completed ?? 0, errored: counts?.failed ?? 0 },
    inputFileId: batch.input_file_id ?? null,
    outputFileId: batch.output_file_id ?? null,
    errorFileId: batch.error_file_id ?? null,
    errors: (batch.errors?.data ?? []).map((e) => ({
      line: e.line ?? null,
      code: e.code ?? "batch_error",
      message: e.message ?? "",
    })),
  };
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value ? value : undefined);

interface OutputLine {
  custom_id?: unknown;
  response?: { status_code?: unknown; body?: unknown } | null;
  error?: { code?: unknown; message?: unknown } | null;
}

/** One line of an output or error file as a result; a line that cannot be read is `malformed_response`. */
function resultOf(line: string, provider: string): ProviderBatchResult {
  const parsed = parseResultLine(line) as OutputLine | undefined;
  const customId = parsed?.custom_id;
  if (typeof customId !== "string")
    return malformedResult(line, `${provider} sent a batch result line without a custom_id`);
  const status = typeof parsed?.response?.status_code === "number" ? parsed.response.status_code : null;
  const lineError = parsed?.error;
  if (lineError) {
    if (lineError.code === "batch_expired") return { customId, status: "expired" };
    const error = {
      code: text(lineError.code) ?? "provider_error",
      message: text(lineError.message) ?? "",
      httpStatus: status,
    };
    return { customId, status: "errored", error };
  }
  const body = parsed?.response?.body as { model?: unknown; error?: Record<string, unknown> } | undefined;
  if (status === null || !body)
    return malformedResult(line, `${provider} sent a batch result line without a response or an error`);
  if (status === 200) {
    const site = { provider, model: text(body.model) ?? "unknown" };
    try {
      return { customId, status: "succeeded", result: chatResultOf(body as ChatCompletion, site) };
    } catch (error) {
      return malformedResult(line, (error as Error).message);
    }
  }
  const error = {
    code: text(body.error?.code) ?? text(body.error?.type) ?? "provider_error",
    message: text(body.error?.message) ?? `HTTP ${status}`,
    httpStatus: status,
  };
  return { customId, status: "errored", error };
}

/** Writes the requests as the batch's JSONL input file, counting them against the limits as it goes. */
async function writeInputFile(
  path: string,
  requests: AsyncIterable<ProviderBatchRequest>,
  tally: ReturnType<typeof createBatchTally>,
  signal: AbortSignal,
): Promise<void> {
  async function* lines() {
    for await (const { customId, request } of requests) {
      const line = `${JSON.stringify({ custom_id: customId, method: "POST", url: ENDPOINT, body: toParams(request) })}\n`;
      tally.add(customId, Buffer.byteLength(line));
      yield line;
    }
  }
  await pipeline(Readable.from(lines()), createWriteStream(path), { signal });
  tally.finish();
}

/**
 * OpenAI's Batch API over the official SDK. The input file is written to a temporary file first,
 * so limits are enforced before anything is sent, then streamed to the Files API from disk.
 */
export function createOpenAiBatchApi(options: OpenAiBatchApiOptions): ProviderBatchApi {
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
  });
  const name = options.name;
  const limits = { ...openAiBatchLimits, ...options.limits };
  const site = { provider: name, model: "batch" };

  async function upload(path: string, signal: AbortSignal): Promise<string> {
    const file = toStreamingFile(createReadStream(path), "requests.jsonl", { type: "application/jsonl" });
    return (await client.files.create({ file, purpose: "batch" }, { signal })).id;
  }

  async function create(
    requests: AsyncIterable<ProviderBatchRequest>,
    { metadata, signal }: { metadata?: Record<string, string>; signal: AbortSignal },
  ): Promise<ProviderBatchState> {
    const dir = await mkdtemp(join(tmpdir(), "sluice-batch-"));
    try {
      const path = join(dir, "requests.jsonl");
      await writeInputFile(path, requests, createBatchTally(name, limits), signal);
      const fileId = await upload(path, signal);
      let batch: Batch;
      try {
        batch = await client.batches.create(
          {
            input_file_id: fileId,
            endpoint: ENDPOINT,
            completion_window: "24h",
            ...(metadata ? { metadata } : {}),
          },
          { signal },
        );
      } catch (error) {
        // An input file no batch uses would only take up the project's storage.
        await client.files.delete(fileId).catch(() => undefined);
        throw error;
      }
      return stateOf(batch, site);
    } catch (error) {
      throw toSluiceError(error, site);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function call(run: () => Promise<Batch>): Promise<ProviderBatchState> {
    try {
      return stateOf(await run(), site);
    } catch (error) {
      throw toSluiceError(error, site);
    }
  }

  async function* fileResults(fileId: string, signal: AbortSignal): AsyncIterable<ProviderBatchResult> {
    let body: ReadableStream<Uint8Array> | null;
    try {
      body = (await client.files.content(fileId, { signal })).body;
    } catch (error) {
      throw toSluiceError(error, site);
    }
    if (!body) throw malformedResponse(site, `file ${fileId} has no content`);
    try {
      for await (const line of jsonlLines(body)) yield resultOf(line, name);
    } catch (error) {
      throw streamFailure(error, site, signal, true);
    }
  }

  async function* results(
    state: ProviderBatchState,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderBatchResult> {
    assertBatchFinished(name, state);
    // Successes first, then failures; requests of a cancelled batch that never ran are in neither.
    if (state.outputFileId) yield* fileResults(state.outputFileId, signal);
    if (state.errorFileId) yield* fileResults(state.errorFileId, signal);
  }

  return {
    limits,
    create,
    retrieve: (id, { signal }) => call(() => client.batches.retrieve(id, { signal })),
    cancel: (id, { signal }) => call(() => client.batches.cancel(id, { signal })),
    results,
  };
}
