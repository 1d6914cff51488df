import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createResilienceRegistry } from "./resilienceRegistry.ts";
import { scripted, unavailable } from "./testCalls.ts";

const signal = () => new AbortController().signal;

describe("resilience registry", () => {
  it("falls back after the primary's retries fail, and when its breaker is open", async () => {
    const fallbacks: string[] = [];
    const registry = createResilienceRegistry({
      defaults: { maxAttempts: 2, breakerFailures: 2, baseDelayMs: 10 },
      random: () => 0,
      hooks: { onFallback: (e) => fallbacks.push(e.model) },
    });
    const primary = scripted<string>([unavailable()]);
    const fallback = async () => "from fallback";
    await expect(registry.execute("a", primary.fn, { signal: signal(), fallback })).resolves.toBe(
      "from fallback",
    );
    expect(primary.calls).toBe(2);
    expect(registry.breakerState("a")).toBe("open");
    await expect(registry.execute("a", primary.fn, { signal: signal(), fallback })).resolves.toBe(
      "from fallback",
    );
    expect(primary.calls).toBe(2);
    expect(fallbacks).toEqual(["a", "a"]);
  });

  it("does not fall back on request errors", async () => {
    const registry = createResilienceRegistry();
    const bad = new SluiceError("validation_error", "bad");
    await expect(
      registry.execute("a", scripted<string>([bad]).fn, { signal: signal(), fallback: async () => "no" }),
    ).rejects.toBe(bad);
  });

  it("keeps one model's open breaker away from another model", async () => {
    const registry = createResilienceRegistry({ defaults: { maxAttempts: 1, breakerFailures: 1 } });
    await expect(
      registry.execute("a", scripted([unavailable()]).fn, { signal: signal() }),
    ).rejects.toBeInstanceOf(SluiceError);
    expect(registry.breakerState("a")).toBe("open");
    expect(registry.breakerState("b")).toBe("closed");
    await expect(registry.execute("b", scripted(["fine"]).fn, { signal: signal() })).resolves.toBe("fine");
  });

  it("applies per-model overrides over the defaults", async () => {
    const registry = createResilienceRegistry({
      defaults: { maxAttempts: 1 },
      perModel: { b: { maxAttempts: 3, baseDelayMs: 1 } },
      random: () => 0,
    });
    const a = scripted([unavailable(), "ok"]);
    const b = scripted([unavailable(), "ok"]);
    await expect(registry.execute("a", a.fn, { signal: signal() })).rejects.toBeInstanceOf(SluiceError);
    await expect(registry.execute("b", b.fn, { signal: signal() })).resolves.toBe("ok");
    expect([a.calls, b.calls]).toEqual([1, 2]);
  });
});
