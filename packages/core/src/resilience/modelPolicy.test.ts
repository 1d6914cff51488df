import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createModelPolicy } from "./modelPolicy.ts";
import { defaultPolicyOptions, type PolicyOptions } from "./resilienceOptions.ts";
import { hanging, rateLimited, scripted, unavailable } from "./testCalls.ts";

const signal = () => new AbortController().signal;
const policy = (overrides: Partial<PolicyOptions>, hooks = {}) =>
  createModelPolicy("m", { ...defaultPolicyOptions, ...overrides }, hooks, () => 0.5);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retry", () => {
  it("waits exactly the provider's Retry-After before trying again", async () => {
    const call = scripted([rateLimited(2_000), "ok"]);
    const run = policy({}).execute(call.fn, signal());
    await vi.advanceTimersByTimeAsync(1_999);
    expect(call.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(run).resolves.toBe("ok");
    expect(call.calls).toBe(2);
  });

  it("backs off with full jitter and gives up at the attempt limit with the last error", async () => {
    const delays: number[] = [];
    const call = scripted([unavailable()]);
    const run = policy(
      { maxAttempts: 3, baseDelayMs: 250 },
      { onRetry: (e: { delayMs: number }) => delays.push(e.delayMs) },
    ).execute(call.fn, signal());
    const outcome = expect(run).rejects.toMatchObject({ code: "service_unavailable" });
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(call.calls).toBe(3);
    expect(delays).toEqual([125, 250]);
  });

  it("never retries a non-retriable error", async () => {
    const call = scripted([new SluiceError("validation_error", "bad")]);
    await expect(policy({}).execute(call.fn, signal())).rejects.toMatchObject({ code: "validation_error" });
    expect(call.calls).toBe(1);
  });

  it("gives up at once when Retry-After exceeds the cap", async () => {
    const call = scripted([rateLimited(120_000), "ok"]);
    await expect(policy({ maxRetryAfterMs: 30_000 }).execute(call.fn, signal())).rejects.toMatchObject({
      code: "rate_limit_exceeded",
    });
    expect(call.calls).toBe(1);
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive failures, rejects fast, half-opens and closes on a good trial", async () => {
    const states: string[] = [];
    const p = policy(
      { maxAttempts: 1, breakerFailures: 3, breakerHalfOpenAfterMs: 30_000 },
      { onBreakerStateChange: (e: { state: string }) => states.push(e.state) },
    );
    const failing = scripted([unavailable()]);
    for (let i = 0; i < 3; i++)
      await expect(p.execute(failing.fn, signal())).rejects.toMatchObject({ code: "service_unavailable" });
    expect(p.breakerState()).toBe("open");

    const healthy = scripted(["ok"]);
    const rejected = await p.execute(healthy.fn, signal()).catch((e: SluiceError) => e);
    expect(rejected).toMatchObject({ code: "service_unavailable", details: { breaker: "open" } });
    expect((rejected as SluiceError).retryAfterMs).toBe(30_000);
    expect(healthy.calls).toBe(0);

    await vi.advanceTimersByTimeAsync(30_000);
    await expect(p.execute(healthy.fn, signal())).resolves.toBe("ok");
    expect(p.breakerState()).toBe("closed");
    expect(states).toEqual(["open", "half_open", "closed"]);
  });

  it("re-opens when the half-open trial fails", async () => {
    const p = policy({ maxAttempts: 1, breakerFailures: 1, breakerHalfOpenAfterMs: 1_000 });
    const failing = scripted([unavailable()]);
    await expect(p.execute(failing.fn, signal())).rejects.toBeInstanceOf(SluiceError);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(p.execute(failing.fn, signal())).rejects.toBeInstanceOf(SluiceError);
    expect(p.breakerState()).toBe("open");
  });

  it("is not tripped by request errors or rate limits", async () => {
    const p = policy({ maxAttempts: 1, breakerFailures: 2 });
    for (const error of [
      new SluiceError("validation_error", "x"),
      rateLimited(100_000),
      new SluiceError("content_filtered", "x"),
    ]) {
      await expect(p.execute(scripted([error]).fn, signal())).rejects.toBe(error);
      await expect(p.execute(scripted([error]).fn, signal())).rejects.toBe(error);
    }
    expect(p.breakerState()).toBe("closed");
  });
});

describe("bulkhead", () => {
  it("caps calls in flight and rejects when the queue is full", async () => {
    const p = policy({ maxConcurrent: 2, maxQueued: 1 });
    let inFlight = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const fn = () =>
      new Promise<string>((resolve) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        releases.push(() => {
          inFlight--;
          resolve("done");
        });
      });
    const running = [p.execute(fn, signal()), p.execute(fn, signal()), p.execute(fn, signal())];
    await vi.advanceTimersByTimeAsync(0);
    await expect(p.execute(fn, signal())).rejects.toMatchObject({
      code: "service_unavailable",
      details: { reason: "bulkhead_full" },
    });
    expect(peak).toBe(2);
    while (releases.length > 0) {
      releases.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    }
    await expect(Promise.all(running)).resolves.toEqual(["done", "done", "done"]);
    expect(peak).toBe(2);
  });
});

describe("timeout and abort", () => {
  it("turns a hung attempt into a timeout and aborts its signal", async () => {
    const started: AbortSignal[] = [];
    const run = policy({ timeoutMs: 100, maxAttempts: 1 }).execute(hanging(started), signal());
    const outcome = expect(run).rejects.toMatchObject({ code: "timeout" });
    await vi.advanceTimersByTimeAsync(100);
    await outcome;
    expect(started[0]?.aborted).toBe(true);
  });

  it("stops an in-flight call at once when the caller aborts", async () => {
    const started: AbortSignal[] = [];
    const controller = new AbortController();
    const run = policy({}).execute(hanging(started), controller.signal);
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(started[0]?.aborted).toBe(true);
  });

  it("stops a pending retry wait and makes no further attempt", async () => {
    const controller = new AbortController();
    const call = scripted([rateLimited(10_000), "ok"]);
    const run = policy({}).execute(call.fn, controller.signal);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(call.calls).toBe(1);
  });
});
