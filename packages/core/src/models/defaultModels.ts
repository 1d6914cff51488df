import type { ModelSpecInput } from "./modelSpec.ts";

// List prices in micro-dollars per million tokens ($1 = 1_000_000).
const openaiChat = (
  id: string,
  input: number,
  output: number,
  contextWindow: number,
  maxOutputTokens: number,
) =>
  ({
    id,
    provider: "openai",
    upstream: id,
    family: "openai",
    inputMicrosPerMillion: input,
    outputMicrosPerMillion: output,
    contextWindow,
    maxOutputTokens,
    capabilities: { jsonSchema: true, logprobs: true },
  }) satisfies ModelSpecInput;

const anthropicChat = (id: string, input: number, output: number, maxOutputTokens: number) =>
  ({
    id,
    provider: "anthropic",
    upstream: id,
    family: "anthropic",
    inputMicrosPerMillion: input,
    outputMicrosPerMillion: output,
    contextWindow: 200_000,
    maxOutputTokens,
    capabilities: { jsonSchema: false, logprobs: false },
  }) satisfies ModelSpecInput;

const simulatorChat = (id: string, input: number, output: number) =>
  ({
    id,
    provider: "simulator",
    upstream: id,
    family: "openai",
    inputMicrosPerMillion: input,
    outputMicrosPerMillion: output,
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: { jsonSchema: true, logprobs: true },
  }) satisfies ModelSpecInput;

/** Models known out of the box; configuration may add to or override them by id. */
export const defaultModels: ModelSpecInput[] = [
  openaiChat("gpt-4o-mini", 150_000, 600_000, 128_000, 16_384),
  openaiChat("gpt-4o", 2_500_000, 10_000_000, 128_000, 16_384),
  openaiChat("gpt-4.1-nano", 100_000, 400_000, 1_047_576, 32_768),
  openaiChat("gpt-4.1-mini", 400_000, 1_600_000, 1_047_576, 32_768),
  openaiChat("gpt-4.1", 2_000_000, 8_000_000, 1_047_576, 32_768),
  {
    id: "text-embedding-3-small",
    provider: "openai",
    upstream: "text-embedding-3-small",
    family: "openai",
    kind: "embedding",
    inputMicrosPerMillion: 20_000,
    outputMicrosPerMillion: 0,
    contextWindow: 8_191,
    maxOutputTokens: 1,
  },
  {
    id: "text-embedding-3-large",
    provider: "openai",
    upstream: "text-embedding-3-large",
    family: "openai",
    kind: "embedding",
    inputMicrosPerMillion: 130_000,
    outputMicrosPerMillion: 0,
    contextWindow: 8_191,
    maxOutputTokens: 1,
  },
  anthropicChat("claude-3-5-haiku-latest", 800_000, 4_000_000, 8_192),
  anthropicChat("claude-haiku-4-5", 1_000_000, 5_000_000, 64_000),
  anthropicChat("claude-sonnet-4-5", 3_000_000, 15_000_000, 64_000),
  anthropicChat("claude-opus-4-1", 15_000_000, 75_000_000, 32_000),
  simulatorChat("sim-small", 100_000, 400_000),
  simulatorChat("sim-medium", 600_000, 2_400_000),
  simulatorChat("sim-large", 2_500_000, 10_000_000),
];
