import { describe, expect, it } from "vitest";
import { costMicros, formatMicros } from "./cost.ts";
import { createModelRegistry } from "./modelRegistry.ts";

const registry = createModelRegistry();

describe("costMicros", () => {
  it("prices OpenAI usage exactly in micro-dollars", () => {
    // gpt-4o-mini: $0.15/M in, $0.60/M out → 1000 in + 500 out = 150 + 300 micro-dollars.
    expect(costMicros(registry.get("gpt-4o-mini"), { inputTokens: 1000, outputTokens: 500 })).toBe(450);
  });

  it("prices Anthropic usage exactly in micro-dollars", () => {
    // claude-sonnet-4-5: $3/M in, $15/M out → 1234 in + 567 out = 3702 + 8505 micro-dollars.
    expect(costMicros(registry.get("claude-sonnet-4-5"), { inputTokens: 1234, outputTokens: 567 })).toBe(
      12_207,
    );
  });

  it("rounds half up once per call, never accumulating float error", () => {
    const mini = registry.get("gpt-4o-mini");
    // 3 input tokens = 0.45 micro-dollars → 0; 10 = 1.5 → 2.
    expect(costMicros(mini, { inputTokens: 3, outputTokens: 0 })).toBe(0);
    expect(costMicros(mini, { inputTokens: 10, outputTokens: 0 })).toBe(2);
    let total = 0;
    for (let i = 0; i < 10_000; i++) total += costMicros(mini, { inputTokens: 1000, outputTokens: 1000 });
    expect(total).toBe(7_500_000);
    expect(formatMicros(total)).toBe("7.500000");
  });

  it("applies the Batch API discount", () => {
    const gpt4o = registry.get("gpt-4o");
    const full = costMicros(gpt4o, { inputTokens: 10_000, outputTokens: 2_000 });
    expect(full).toBe(45_000);
    expect(costMicros(gpt4o, { inputTokens: 10_000, outputTokens: 2_000 }, { batch: true })).toBe(22_500);
  });

  it("handles token counts far beyond float-safe products", () => {
    const opus = registry.get("claude-opus-4-1");
    expect(costMicros(opus, { inputTokens: 2_000_000_000, outputTokens: 0 })).toBe(30_000_000_000);
  });
});

describe("formatMicros", () => {
  it("formats without floats", () => {
    expect(formatMicros(0)).toBe("0.000000");
    expect(formatMicros(1)).toBe("0.000001");
    expect(formatMicros(12_345_678)).toBe("12.345678");
    expect(formatMicros(-5)).toBe("-0.000005");
  });
});

describe("model registry", () => {
  it("lets configuration override and extend the defaults", () => {
    const custom = createModelRegistry([
      { ...registry.get("gpt-4o-mini"), inputMicrosPerMillion: 1 },
      {
        id: "local-llama",
        provider: "ollama",
        upstream: "llama3.1:8b",
        family: "openai",
        inputMicrosPerMillion: 0,
        outputMicrosPerMillion: 0,
        contextWindow: 8192,
        maxOutputTokens: 2048,
      },
    ]);
    expect(custom.get("gpt-4o-mini").inputMicrosPerMillion).toBe(1);
    expect(custom.get("local-llama")).toMatchObject({
      provider: "ollama",
      kind: "chat",
      batchDiscountBps: 5000,
    });
  });

  it("names the unknown model and rejects misconfigured entries", () => {
    expect(() => registry.get("gpt-9")).toThrow(/unknown model "gpt-9"/);
    expect(() =>
      createModelRegistry([{ id: "bad", provider: "x", upstream: "x", family: "openai" } as never]),
    ).toThrow(/model "bad" is misconfigured/);
  });
});
