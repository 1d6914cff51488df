import type { SluiceConfig } from "../config/configSchema.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import { anthropicBatchLimits } from "./anthropicBatchApi.ts";
import { createAnthropicProvider } from "./anthropicProvider.ts";
import type { ProviderBatchLimits } from "./batchApi.ts";
import { openAiBatchLimits } from "./openaiBatchApi.ts";
import { createOpenAiProvider } from "./openaiProvider.ts";
import type { Provider } from "./provider.ts";

/** Finds the provider that serves a model. */
export interface ProviderRegistry {
  /** The provider for this model: its own when configured, else the simulator. */
  forModel(model: ModelSpec): Provider;
  /** Names of the providers with credentials (the simulator not included). */
  configured(): string[];
  /** True when some model would be served by the simulator. */
  usesSimulator(): boolean;
  /** Closes every provider's kept-alive connections. */
  close(): Promise<void>;
}

// The simulator accepts any key; SDKs insist on having one.
const SIMULATOR_KEY = "sk-simulator";

/** Builds providers from configuration; models whose provider has no key go to the simulator. */
export function createProviderRegistry(
  config: SluiceConfig["providers"],
  options: {
    timeoutMs?: number;
    /** Caps on one batch below the providers' own limits (an operator's choice). */
    batchCaps?: { maxRequests?: number | undefined; maxBytes?: number | undefined };
  } = {},
): ProviderRegistry {
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const capped = (limits: ProviderBatchLimits) => ({
    batchLimits: {
      maxRequests: Math.min(limits.maxRequests, options.batchCaps?.maxRequests ?? Number.POSITIVE_INFINITY),
      maxBytes: Math.min(limits.maxBytes, options.batchCaps?.maxBytes ?? Number.POSITIVE_INFINITY),
    },
  });
  const openAiLimits = capped(openAiBatchLimits);
  const anthropicLimits = capped(anthropicBatchLimits);
  const real = new Map<string, Provider>();
  if (config.openai.apiKey) {
    real.set(
      "openai",
      createOpenAiProvider({
        name: "openai",
        apiKey: config.openai.apiKey,
        baseUrl: config.openai.baseUrl,
        ...timeout,
        ...openAiLimits,
      }),
    );
  }
  if (config.anthropic.apiKey) {
    real.set(
      "anthropic",
      createAnthropicProvider({
        name: "anthropic",
        apiKey: config.anthropic.apiKey,
        baseUrl: config.anthropic.baseUrl,
        ...timeout,
        ...anthropicLimits,
      }),
    );
  }
  for (const [name, extra] of Object.entries(config.extra)) {
    real.set(
      name,
      createOpenAiProvider({
        name,
        apiKey: extra.apiKey ?? "none",
        baseUrl: extra.baseUrl,
        // vLLM, Ollama and most compatible servers have no Responses API: translate unless told.
        responsesApi: extra.responsesApi ?? false,
        ...timeout,
        ...openAiLimits,
      }),
    );
  }
  const simulatorUrl = config.simulatorUrl?.replace(/\/+$/, "");
  const simulator = simulatorUrl
    ? {
        openai: createOpenAiProvider({
          name: "simulator",
          apiKey: SIMULATOR_KEY,
          baseUrl: `${simulatorUrl}/v1`,
          ...timeout,
          ...openAiLimits,
        }),
        anthropic: createAnthropicProvider({
          name: "simulator",
          apiKey: SIMULATOR_KEY,
          baseUrl: simulatorUrl,
          ...timeout,
          ...anthropicLimits,
        }),
      }
    : undefined;

  return {
    forModel(model) {
      const own = real.get(model.provider);
      if (own) return own;
      if (simulator) return simulator[model.family];
      throw new SluiceError(
        "service_unavailable",
        `no provider is configured for model "${model.id}" (provider "${model.provider}"): set its API key or SLUICE_SIMULATOR_URL`,
        { details: { model: model.id, provider: model.provider }, retriable: false },
      );
    },
    configured: () => [...real.keys()],
    usesSimulator: () => simulator !== undefined,
    async close() {
      const all = [...real.values(), ...(simulator ? [simulator.openai, simulator.anthropic] : [])];
      await Promise.allSettled(all.map((p) => p.close?.()));
    },
  };
}
