/** One model the simulator serves. */
export interface SimModel {
  id: string;
  family: "openai" | "anthropic";
  kind: "chat" | "embedding";
  /** USD per million tokens. */
  inputPrice: number;
  outputPrice: number;
  contextWindow: number;
  maxOutputTokens: number;
  /** Time to first token (ms) and tokens per second, used when latency is simulated. */
  ttftMs: number;
  tokensPerSecond: number;
  /** 0–1: how hard a ticket it still classifies correctly. */
  quality: number;
  embeddingDims?: number;
}

const chat = (
  id: string,
  family: SimModel["family"],
  inputPrice: number,
  outputPrice: number,
  quality: number,
  contextWindow: number,
  maxOutputTokens: number,
  ttftMs: number,
  tokensPerSecond: number,
): SimModel => ({
  id,
  family,
  kind: "chat",
  inputPrice,
  outputPrice,
  quality,
  contextWindow,
  maxOutputTokens,
  ttftMs,
  tokensPerSecond,
});

const embedding = (id: string, inputPrice: number, dims: number): SimModel => ({
  id,
  family: "openai",
  kind: "embedding",
  inputPrice,
  outputPrice: 0,
  quality: 1,
  contextWindow: 8_191,
  maxOutputTokens: 1,
  ttftMs: 30,
  tokensPerSecond: 100_000,
  embeddingDims: dims,
});

/** Every model the simulator answers for, with list prices and a quality level. */
export const simModels: SimModel[] = [
  chat("sim-small", "openai", 0.1, 0.4, 0.6, 128_000, 16_384, 150, 180),
  chat("sim-medium", "openai", 0.6, 2.4, 0.78, 128_000, 16_384, 300, 110),
  chat("sim-large", "openai", 2.5, 10, 0.95, 128_000, 16_384, 600, 60),
  chat("gpt-4o-mini", "openai", 0.15, 0.6, 0.7, 128_000, 16_384, 250, 120),
  chat("gpt-4o", "openai", 2.5, 10, 0.92, 128_000, 16_384, 450, 80),
  chat("gpt-4.1-nano", "openai", 0.1, 0.4, 0.55, 1_047_576, 32_768, 200, 200),
  chat("gpt-4.1-mini", "openai", 0.4, 1.6, 0.8, 1_047_576, 32_768, 300, 110),
  chat("gpt-4.1", "openai", 2, 8, 0.93, 1_047_576, 32_768, 500, 75),
  chat("claude-3-5-haiku-latest", "anthropic", 0.8, 4, 0.72, 200_000, 8_192, 300, 100),
  chat("claude-haiku-4-5", "anthropic", 1, 5, 0.8, 200_000, 64_000, 300, 120),
  chat("claude-sonnet-4-5", "anthropic", 3, 15, 0.94, 200_000, 64_000, 600, 70),
  chat("claude-opus-4-1", "anthropic", 15, 75, 0.96, 200_000, 32_000, 900, 40),
  embedding("text-embedding-3-small", 0.02, 1536),
  embedding("text-embedding-3-large", 0.13, 3072),
];

const byId = new Map(simModels.map((m) => [m.id, m]));

/** The model with this id, if the simulator serves it. */
export function findSimModel(id: string): SimModel | undefined {
  return byId.get(id);
}
