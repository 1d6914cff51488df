import { costMicros, type TokenUsage } from "../models/cost.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import type {
  Provider,
  ProviderChatRequest,
  ProviderResponsesApi,
  ProviderResponsesBody,
  ProviderResponsesEvent,
  ProviderResponsesObject,
} from "../providers/provider.ts";
import type { ModelCallContext, ResilienceExecutor } from "./modelClient.ts";
import { firstItemUnderPolicy } from "./streamOpening.ts";

/**
 * A Responses call served natively: the body sent upstream (Sluice's model id in `model`), and the
 * same request as chat, which the context and model-input checks read before anything is spent.
 */
export interface NativeResponsesCall {
  chat: ProviderChatRequest;
  body: ProviderResponsesBody;
}

/** A finished native Responses call with its accounting. */
export interface ResponsesOutcome {
  response: ProviderResponsesObject;
  usage: TokenUsage;
  model: ModelSpec;
  provider: string;
  costMicros: number;
  latencyMs: number;
}

/** The provider's events, the last one (`done`) with the call's accounting. */
export type ModelResponsesEvent =
  | { type: "event"; event: ProviderResponsesObject & { type: string } }
  | {
      type: "done";
      event: ProviderResponsesObject & { type: string };
      usage: TokenUsage;
      model: string;
      provider: string;
      costMicros: number;
      latencyMs: number;
    };

/** OpenAI's Responses API through the model client: prepare → resilience → provider, logged and priced. */
export interface ModelResponses {
  /** Whether the model's provider serves the Responses API natively. */
  supports(modelId: string): boolean;
  /** Not cached: the response cache is keyed on chat requests, and a native answer is not one. */
  create(call: NativeResponsesCall, context?: ModelCallContext): Promise<ResponsesOutcome>;
  stream(call: NativeResponsesCall, context?: ModelCallContext): AsyncIterable<ModelResponsesEvent>;
}

/** What the model client lends its Responses path: its checks, call log, policy and clock. */
export interface ModelResponsesDeps {
  providerOf(modelId: string): Provider | undefined;
  prepare(
    request: ProviderChatRequest,
    context: ModelCallContext,
  ): { model: ModelSpec; provider: Provider; signal: AbortSignal };
  log(
    model: ModelSpec,
    provider: string,
    context: ModelCallContext,
    fields: { usage?: TokenUsage; cost?: number; latencyMs: number; ttftMs?: number | null; error?: unknown },
  ): void;
  resilience: ResilienceExecutor;
  now: () => number;
}

function apiOf(provider: Provider): ProviderResponsesApi {
  if (!provider.responses) throw new Error(`provider ${provider.name} does not serve the Responses API`);
  return provider.responses;
}

/** Builds the model client's Responses path. */
export function createModelResponses(deps: ModelResponsesDeps): ModelResponses {
  const { resilience, now } = deps;
  return {
    supports: (modelId) => deps.providerOf(modelId)?.responses !== undefined,

    async create(call, context = {}) {
      const { model, provider, signal } = deps.prepare(call.chat, context);
      const api = apiOf(provider);
      const upstream = { ...call.body, model: model.upstream };
      const started = now();
      try {
        const result = await resilience.execute(model.id, (s) => api.create(upstream, { signal: s }), {
          signal,
        });
        const latencyMs = now() - started;
        const cost = costMicros(model, result.usage);
        deps.log(model, provider.name, context, { usage: result.usage, cost, latencyMs });
        return { ...result, model, provider: provider.name, costMicros: cost, latencyMs };
      } catch (error) {
        deps.log(model, provider.name, context, { latencyMs: now() - started, error });
        throw error;
      }
    },

    async *stream(call, context = {}) {
      const { model, provider, signal } = deps.prepare(call.chat, context);
      const api = apiOf(provider);
      const upstream = { ...call.body, model: model.upstream };
      const started = now();
      let ttftMs: number | null = null;
      let iterator: AsyncIterator<ProviderResponsesEvent> | undefined;
      try {
        let next = await firstItemUnderPolicy(
          resilience,
          model.id,
          signal,
          (linked) => api.stream(upstream, { signal: linked }),
          (opened) => {
            iterator = opened;
          },
        );
        while (!next.done) {
          const item = next.value;
          if (item.type === "event") {
            if (item.event.type.endsWith(".delta")) ttftMs ??= now() - started;
            yield item;
          } else {
            const latencyMs = now() - started;
            const cost = costMicros(model, item.usage);
            deps.log(model, provider.name, context, { usage: item.usage, cost, latencyMs, ttftMs });
            yield { ...item, model: model.id, provider: provider.name, costMicros: cost, latencyMs };
            return;
          }
          next = await (iterator as AsyncIterator<ProviderResponsesEvent>).next();
        }
        throw new Error("the provider's response stream ended without a final event");
      } catch (error) {
        deps.log(model, provider.name, context, { latencyMs: now() - started, ttftMs, error });
        throw error;
      } finally {
        await iterator?.return?.();
      }
    },
  };
}
