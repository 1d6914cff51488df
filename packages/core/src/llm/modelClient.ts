import { SluiceError } from "../errors/sluiceError.ts";
import { costMicros, type TokenUsage } from "../models/cost.ts";
import { assertModelTakesInputs } from "../models/modelInputs.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import type {
  ChatStreamEvent,
  FinishReason,
  ProviderChatRequest,
  ProviderChatResult,
  ProviderEmbeddingsRequest,
  TextDelta,
  ToolCallDelta,
} from "../providers/provider.ts";
import { abortError, isAbort } from "../providers/providerErrors.ts";
import type { ProviderRegistry } from "../providers/providerRegistry.ts";
import { assertFitsContext } from "../tokens/contextCheck.ts";
import { countChatTokens } from "../tokens/tokenCount.ts";
import type { CallLogWriter } from "./callLogWriter.ts";
import { createModelResponses, type ModelResponses } from "./modelResponses.ts";
import type { CacheMode, ResponseCache } from "./responseCache.ts";
import { firstItemUnderPolicy } from "./streamOpening.ts";

/** Runs a call under a model's resilience policy (timeouts, retries, breaker, bulkhead). */
export interface ResilienceExecutor {
  execute<T>(
    model: string,
    fn: (signal: AbortSignal) => Promise<T>,
    options: { signal: AbortSignal },
  ): Promise<T>;
}

/** Who is calling and how: attached to the call log and the cache scope. */
export interface ModelCallContext {
  tenantId?: string | null;
  /** The API key and end user the call is made for (call-log attribution). */
  apiKeyId?: string | null;
  endUser?: string | null;
  requestId?: string;
  jobId?: string;
  signal?: AbortSignal;
  cache?: CacheMode;
}

/** A finished chat call with its accounting. */
export interface ChatOutcome {
  result: ProviderChatResult;
  model: ModelSpec;
  provider: string;
  costMicros: number;
  latencyMs: number;
  cacheHit: boolean;
}

/** Stream events with the accounting added to the final one. */
export type ModelStreamEvent =
  | TextDelta
  | ToolCallDelta
  | {
      type: "done";
      finishReason: FinishReason;
      usage: TokenUsage;
      /** Every choice's finish reason in order, when `n > 1` was asked. */
      finishReasons?: FinishReason[];
      /** The stop sequence that ended the first choice, where the provider says which. */
      stopSequence?: string;
      model: string;
      provider: string;
      costMicros: number;
      latencyMs: number;
      ttftMs: number | null;
    };

/** A finished embeddings call. */
export interface EmbeddingsOutcome {
  vectors: number[][];
  usage: TokenUsage;
  model: ModelSpec;
  costMicros: number;
  latencyMs: number;
  cacheHit: boolean;
}

/** The one way Sluice calls models: registry → cache → resilience → provider, logged and priced. */
export interface ModelClient {
  /** `request.model` is a Sluice model id. */
  chat(request: ProviderChatRequest, context?: ModelCallContext): Promise<ChatOutcome>;
  stream(request: ProviderChatRequest, context?: ModelCallContext): AsyncIterable<ModelStreamEvent>;
  embed(request: ProviderEmbeddingsRequest, context?: ModelCallContext): Promise<EmbeddingsOutcome>;
  /** OpenAI's Responses API, for models whose provider serves it natively. */
  readonly responses: ModelResponses;
  readonly registry: ModelRegistry;
}

/** What the model client is built from. */
export interface ModelClientDeps {
  registry: ModelRegistry;
  providers: ProviderRegistry;
  resilience?: ResilienceExecutor;
  cache?: ResponseCache;
  callLog?: CallLogWriter;
  /** Told about every call as it is logged (metrics). */
  onCall?: (call: CallRecord) => void;
  now?: () => number;
}

/** One model call as observers see it. */
export interface CallRecord {
  kind: "chat" | "embedding";
  model: string;
  provider: string;
  status: "ok" | "error" | "aborted";
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  latencyMs: number;
  cacheHit: boolean;
}

const passthrough: ResilienceExecutor = { execute: (_model, fn, { signal }) => fn(signal) };

function errorCodeOf(error: unknown): string {
  return error instanceof SluiceError ? error.code : "internal_error";
}

/** Refuses a request that cannot fit the model's context before any money is spent on it. */
function checkContext(model: ModelSpec, request: ProviderChatRequest): void {
  assertFitsContext({
    model: model.id,
    promptTokens: countChatTokens(
      { messages: request.messages, tools: request.tools },
      model.family,
      model.upstream,
    ),
    maxTokens: request.maxTokens,
    contextWindow: model.contextWindow,
  });
}

function requireKind(model: ModelSpec, kind: ModelSpec["kind"]): void {
  if (model.kind !== kind) {
    throw new SluiceError(
      "validation_error",
      `model "${model.id}" is a ${model.kind} model, not a ${kind} model`,
      {
        details: { model: model.id },
      },
    );
  }
}

/** Creates the model client. */
export function createModelClient(deps: ModelClientDeps): ModelClient {
  const resilience = deps.resilience ?? passthrough;
  const now = deps.now ?? (() => performance.now());

  function log(
    kind: "chat" | "embedding",
    model: ModelSpec,
    provider: string,
    context: ModelCallContext,
    fields: {
      usage?: TokenUsage;
      cost?: number;
      latencyMs: number;
      ttftMs?: number | null;
      cacheHit?: boolean;
      error?: unknown;
    },
  ): void {
    const status = fields.error === undefined ? "ok" : isAbort(fields.error) ? "aborted" : "error";
    deps.onCall?.({
      kind,
      model: model.id,
      provider,
      status,
      inputTokens: fields.usage?.inputTokens ?? 0,
      outputTokens: fields.usage?.outputTokens ?? 0,
      costMicros: fields.cost ?? 0,
      latencyMs: fields.latencyMs,
      cacheHit: fields.cacheHit ?? false,
    });
    deps.callLog?.record({
      tenantId: context.tenantId ?? null,
      apiKeyId: context.apiKeyId ?? null,
      endUser: context.endUser ?? null,
      requestId: context.requestId ?? null,
      jobId: context.jobId ?? null,
      kind,
      model: model.id,
      provider,
      inputTokens: fields.usage?.inputTokens ?? 0,
      outputTokens: fields.usage?.outputTokens ?? 0,
      costMicros: fields.cost ?? 0,
      latencyMs: Math.round(fields.latencyMs),
      ttftMs: fields.ttftMs === undefined || fields.ttftMs === null ? null : Math.round(fields.ttftMs),
      cacheHit: fields.cacheHit ?? false,
      status: fields.error === undefined ? "ok" : isAbort(fields.error) ? "aborted" : "error",
      errorCode:
        fields.error === undefined ? null : isAbort(fields.error) ? "aborted" : errorCodeOf(fields.error),
    });
  }

  /** Resolves the model and its provider and checks the request before anything is spent. */
  function prepare<R extends { model: string }>(
    request: R,
    kind: ModelSpec["kind"],
    context: ModelCallContext,
  ) {
    const model = deps.registry.get(request.model);
    requireKind(model, kind);
    if (kind === "chat") {
      const chat = request as unknown as ProviderChatRequest;
      assertModelTakesInputs(model, chat.messages);
      checkContext(model, chat);
    }
    const provider = deps.providers.forModel(model);
    const signal = context.signal ?? new AbortController().signal;
    if (signal.aborted) throw abortError(signal);
    return { model, provider, signal, upstream: { ...request, model: model.upstream } };
  }

  async function chat(request: ProviderChatRequest, context: ModelCallContext = {}): Promise<ChatOutcome> {
    const { model, provider, signal, upstream } = prepare(request, "chat", context);
    const call = () =>
      resilience.execute(model.id, (s) => provider.complete(upstream, { signal: s }), { signal });
    const started = now();
    try {
      const cache = deps.cache;
      const mode = context.cache ?? "auto";
      const { value: result, hit } = cache?.eligible(upstream, mode)
        ? await cache.getOrCompute(
            cache.keyFor(upstream, {
              provider: provider.name,
              modelId: model.id,
              tenantId: context.tenantId ?? null,
            }),
            { tenantId: context.tenantId ?? null, modelId: model.id },
            call,
          )
        : { value: await call(), hit: false };
      const latencyMs = now() - started;
      const cost = hit ? 0 : costMicros(model, result.usage);
      log("chat", model, provider.name, context, { usage: result.usage, cost, latencyMs, cacheHit: hit });
      return { result, model, provider: provider.name, costMicros: cost, latencyMs, cacheHit: hit };
    } catch (error) {
      log("chat", model, provider.name, context, { latencyMs: now() - started, error });
      throw error;
    }
  }

  async function* stream(
    request: ProviderChatRequest,
    context: ModelCallContext = {},
  ): AsyncIterable<ModelStreamEvent> {
    const { model, provider, signal, upstream } = prepare(request, "chat", context);
    const started = now();
    let ttftMs: number | null = null;
    let iterator: AsyncIterator<ChatStreamEvent> | undefined;
    try {
      let next = await firstItemUnderPolicy(
        resilience,
        model.id,
        signal,
        (linked) => provider.stream(upstream, { signal: linked }),
        (opened) => {
          iterator = opened;
        },
      );
      while (!next.done) {
        const event = next.value;
        if (event.type === "delta" || event.type === "tool_call") {
          ttftMs ??= now() - started;
          yield event;
        } else {
          const latencyMs = now() - started;
          const cost = costMicros(model, event.usage);
          log("chat", model, provider.name, context, { usage: event.usage, cost, latencyMs, ttftMs });
          yield { ...event, model: model.id, provider: provider.name, costMicros: cost, latencyMs, ttftMs };
          return;
        }
        next = await iterator!.next();
      }
    } catch (error) {
      log("chat", model, provider.name, context, { latencyMs: now() - started, ttftMs, error });
      throw error;
    } finally {
      await iterator?.return?.();
    }
  }

  async function embed(
    request: ProviderEmbeddingsRequest,
    context: ModelCallContext = {},
  ): Promise<EmbeddingsOutcome> {
    const { model, provider, signal, upstream } = prepare(request, "embedding", context);
    const started = now();
    try {
      const result = await resilience.execute(model.id, (s) => provider.embed(upstream, { signal: s }), {
        signal,
      });
      const latencyMs = now() - started;
      const cost = costMicros(model, result.usage);
      log("embedding", model, provider.name, context, { usage: result.usage, cost, latencyMs });
      return { ...result, model, costMicros: cost, latencyMs, cacheHit: false };
    } catch (error) {
      log("embedding", model, provider.name, context, { latencyMs: now() - started, error });
      throw error;
    }
  }

  const responses = createModelResponses({
    providerOf: (modelId) => {
      const model = deps.registry.find(modelId);
      return model ? deps.providers.forModel(model) : undefined;
    },
    prepare: (request, context) => prepare(request, "chat", context),
    log: (model, provider, context, fields) => log("chat", model, provider, context, fields),
    resilience,
    now,
  });
  return { chat, stream, embed, responses, registry: deps.registry };
}
