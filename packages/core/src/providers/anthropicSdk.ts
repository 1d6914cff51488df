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
