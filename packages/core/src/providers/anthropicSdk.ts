import type AnthropicSdk from "@anthropic-ai/sdk";

/** The Anthropic SDK's module. */
export type AnthropicModule = typeof import("@anthropic-ai/sdk");

let loaded: AnthropicModule | undefined;

/**
 * Loads the Anthropic SDK on first use (about 23 MB of a process's memory): a process that never
 * calls an Anthropic model never pays for it.
 */
export async function anthropicSdk(): Promise<AnthropicModule> {
  loaded ??= await import("@anthropic-ai/sdk");
  return loaded;
}

/** The SDK's classes when it has been loaded; until then no error can be one of them. */
export function loadedAnthropic(): typeof AnthropicSdk | undefined {
  return loaded?.default;
}

/** A client made on first use (loading the SDK then), with Sluice's settings: no SDK retries. */
export function lazyAnthropicClient(options: {
  apiKey: string;
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
}): () => Promise<AnthropicSdk> {
  let made: Promise<AnthropicSdk> | undefined;
  return () => {
    made ??= anthropicSdk().then(
      ({ default: Sdk }) =>
        new Sdk({
          apiKey: options.apiKey,
          ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
          maxRetries: 0,
          timeout: options.timeoutMs ?? 600_000,
        }),
    );
    return made;
  };
}
