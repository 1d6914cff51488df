import { describe, expect, it } from "vitest";
import type { SluiceError } from "../errors/sluiceError.ts";
import { createTestClock } from "../testing/testClock.ts";
import { createModelPolicy } from "./modelPolicy.ts";
import { defaultPolicyOptions } from "./resilienceOptions.ts";
import { createResilienceRegistry } from "./resilienceRegistry.ts";
import { scripted, unavailable } from "./testCalls.ts";

const signal = () => new AbortController().signal;

// Real timers throughout: only the test clock moves, so nothing here waits for the breaker.
describe("breaker on an injected clock", () => {
  it("half-opens once the clock passes halfOpenAfter, and not a millisecond before", async () => {
    const clock = createTestClock();
    const states: string[] = [];
    const options = {
      ...defaultPolicyOptions,
      maxAttempts: 1,
      breakerFailures: 2,
      breakerHalfOpenAfterMs: 30_000,
    };
    const p = createModelPolicy(
      "m",
      options,
      { onBreakerStateChange: (e) => states.push(e.state) },
      () => 0.5,
      clock,
    );
    const failing = scripted([unavailable()]);
    for (let i = 0; i < 2; i++) await expect(p.execute(failing.fn, signal())).rejects.toBeDefined();
    expect(p.breakerState()).toBe("open");

    const healthy = scripted(["ok"]);
    clock.advance(29_999);
    const rejected = await p.execute(healthy.fn, signal()).catch((e: SluiceError) => e);
    expect(rejected).toMatchObject({
      code: "service_unavailable",
      retryAfterMs: 1,
      details: { breaker: "open" },
    });
    expect(healthy.calls).toBe(0);

    clock.advance(1);
    await expect(p.execute(healthy.fn, signal())).resolves.toBe("ok");
    expect(healthy.calls).toBe(1);
    expect(states).toEqual(["open", "half_open", "closed"]);
  });

  it("counts a re-opened breaker's wait from the failed trial's time on the clock", async () => {
    const clock = createTestClock();
    const registry = createResilienceRegistry({
      defaults: { maxAttempts: 1, breakerFailures: 1, breakerHalfOpenAfterMs: 5_000 },
      clock,
    });
    const failing = scripted([unavailable()]);
    const run = () => registry.execute("m", failing.fn, { signal: signal() });
    await expect(run()).rejects.toMatchObject({ code: "service_unavailable" });
    clock.advance(5_000);
    // The trial fails: open again, for a fresh 5 s from now.
    await expect(run()).rejects.toMatchObject({ code: "service_unavailable" });
    expect(failing.calls).toBe(2);
    expect(registry.breakerState("m")).toBe("open");
    clock.advance(4_000);
    await expect(run()).rejects.toMatchObject({ retryAfterMs: 1_000, details: { breaker: "open" } });
    expect(failing.calls).toBe(2);
    clock.advance(1_000);
    await expect(registry.execute("m", async () => "ok", { signal: signal() })).resolves.toBe("ok");
    expect(registry.breakerState("m")).toBe("closed");
  });
});
