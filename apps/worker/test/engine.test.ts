import { randomUUID } from "node:crypto";
import { enqueueRows, SluiceError } from "@sluice/core";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEngine, testKind } from "./engineHarness.ts";

const t = useTestDatabase();
const calls = new Map<string, number>();
const count = (key: string) => {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
};
const aborts = new Map<string, number>();
/** When each `t.slow` handler's signal fired. */
const signalled = new Map<string, number>();
let engine: Awaited<ReturnType<typeof startEngine>>;

beforeAll(async () => {
  engine = await startEngine(
    t.db,
    t.url,
    [
      testKind("t.echo"),
      testKind("t.flaky"),
      testKind("t.broken"),
      testKind("t.fatal"),
      testKind("t.slow", { softTimeLimitSeconds: 20 }),
      testKind("t.progress"),
      testKind("t.soft", { softTimeLimitSeconds: 0.3, timeLimitSeconds: 30, retryLimit: 0 }),
      testKind("t.stubborn", { softTimeLimitSeconds: 0.2, timeLimitSeconds: 2, retryLimit: 0 }),
      testKind("t.strict", {
        payload: (await import("zod")).z.strictObject({ n: (await import("zod")).z.int() }),
      }),
    ],
    {
      "t.echo": async (payload) => ({ echoed: payload }),
      "t.flaky": async (payload: { key: string }) => {
        if (count(payload.key) === 1) throw new SluiceError("service_unavailable", "upstream hiccup");
        return { ok: true };
      },
      "t.broken": async () => {
        throw new SluiceError("model_error", "always broken");
      },
      "t.fatal": async () => {
        throw new SluiceError("validation_error", "this will never work");
      },
      "t.slow": (_payload, ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener(
            "abort",
            () => {
              signalled.set(ctx.job.id, Date.now());
              reject(ctx.signal.reason);
            },
            { once: true },
          );
        }),
      "t.progress": async (_payload, ctx) => {
        for (let i = 1; i <= 10; i++) {
          ctx.progress(i * 10, `step ${i}`);
          // Wall time on purpose: the steps spread over several write batches, whose order is under test.
          await new Promise((r) => setTimeout(r, 5));
        }
        return { steps: 10 };
      },
      "t.soft": (_payload, ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
        }),
      // Ignores its signal: abandoned at the hard limit.
      "t.stubborn": (_payload, ctx) =>
        new Promise(() => {
          const started = Date.now();
          ctx.signal.addEventListener("abort", () => aborts.set(ctx.job.id, Date.now() - started), {
            once: true,
          });
        }),
      "t.strict": async (payload) => payload,
    },
  );
  await engine.start();
});
afterAll(() => engine.close());

describe("worker engine", () => {
  it("runs a job and stores its result, with started and completed events", async () => {
    const job = await engine.enqueue("t.echo", { hello: "world" });
    expect(job.status).toBe("queued");
    // Job ids follow creation time (UUIDv7).
    expect(job.id[14]).toBe("7");
    const done = await engine.until(job.id, ["completed"]);
    expect(done).toMatchObject({ result: { echoed: { hello: "world" } }, attempts: 1, progress: 100 });
    const events = await engine.jobs.events(engine.scope, job.id);
    expect(events.map((e) => e.type)).toEqual(["queued", "started", "completed"]);
  });

  it("retries a retriable failure with backoff, then succeeds", async () => {
    const job = await engine.enqueue("t.flaky", { key: "flaky-1" });
    const done = await engine.until(job.id, ["completed", "dead"]);
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(2);
    const events = await engine.jobs.events(engine.scope, job.id);
    expect(events.map((e) => e.type)).toEqual(["queued", "started", "failed", "started", "completed"]);
    expect(events[2]?.data).toMatchObject({ code: "service_unavailable", attempt: 1 });
  });

  it("sends a non-retriable failure to dead letters at once", async () => {
    const job = await engine.enqueue("t.fatal");
    const dead = await engine.until(job.id, ["dead", "completed"]);
    expect(dead).toMatchObject({ status: "dead", attempts: 1, error: { code: "validation_error" } });
  });

  it("marks a job dead with its last error once retries are exhausted", async () => {
    const job = await engine.enqueue("t.broken");
    const dead = await engine.until(job.id, ["dead"]);
    expect(dead).toMatchObject({
      attempts: 3,
      maxAttempts: 3,
      error: { code: "model_error", message: "always broken" },
    });
    expect(await engine.queue.deadLetterSourceIds("t.broken.dead")).toContain(job.id);
  });

  it("never queues a bad payload, and sends one that stopped validating straight to dead letters", async () => {
    await expect(engine.enqueue("t.strict", { n: "x" })).rejects.toMatchObject({ code: "validation_error" });
    await expect(engine.enqueue("t.nope", {})).rejects.toMatchObject({ code: "validation_error" });
    const job = await engine.enqueue("t.strict", { n: 1 });
    await engine.until(job.id, ["completed"]);
    // A payload that no longer validates when its attempt starts (written before the schema changed).
    const [stale] = await t.db.transaction().execute((tx) =>
      enqueueRows(tx, engine.queue, [
        {
          id: randomUUID(),
          tenantId: engine.tenant.id,
          kind: "t.strict",
          queue: "t.strict",
          priority: 0,
          payload: JSON.stringify({ n: "not a number" }),
          maxAttempts: 3,
        },
      ]),
    );
    const dead = await engine.until(stale!.id, ["dead", "completed"]);
    expect(dead).toMatchObject({ status: "dead", attempts: 1, error: { code: "validation_error" } });
  });

  it("cancels an active job: its handler's signal fires and it is not retried", async () => {
    const job = await engine.enqueue("t.slow");
    // Its handler listens from its first moment; `active` is written after it started.
    await engine.until(job.id, ["active"]);
    const started = Date.now();
    await engine.jobs.cancel(engine.scope, job.id);
    await expect.poll(() => signalled.has(job.id), { timeout: 3_000, interval: 20 }).toBe(true);
    expect(signalled.get(job.id)! - started).toBeLessThan(3_000);
    // Cancelled in pg-boss too: nothing is left to run it again.
    expect(await engine.queue.jobState("t.slow", job.id)).toBe("cancelled");
    const after = await engine.jobs.get(engine.scope, job.id);
    expect(after).toMatchObject({ status: "cancelled", attempts: 1 });
  });

  it("aborts a handler at its soft time limit: the job ends with a timeout", async () => {
    const started = Date.now();
    const job = await engine.enqueue("t.soft");
    const dead = await engine.until(job.id, ["dead", "completed"]);
    expect(dead).toMatchObject({ status: "dead", attempts: 1, error: { code: "timeout" } });
    expect(dead.error?.message).toContain("time limit of 0.3 s");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("signals a handler at its soft limit and abandons it at the hard limit when it ignores the signal", async () => {
    const job = await engine.enqueue("t.stubborn");
    const dead = await engine.until(job.id, ["dead", "completed"]);
    expect(dead).toMatchObject({ status: "dead", attempts: 1, error: { code: "timeout" } });
    expect(dead.error?.message).toContain("hard time limit of 2 s");
    const abortedAfter = aborts.get(job.id);
    expect(abortedAfter).toBeGreaterThanOrEqual(150);
    expect(abortedAfter).toBeLessThan(1_500);
    expect(new Date(dead.finishedAt!).getTime() - new Date(dead.startedAt!).getTime()).toBeGreaterThanOrEqual(
      1_900,
    );
  });

  it("writes every progress event in order", async () => {
    const job = await engine.enqueue("t.progress");
    await engine.until(job.id, ["completed"]);
    const events = await engine.jobs.events(engine.scope, job.id);
    const progress = events.filter((e) => e.type === "progress").map((e) => e.data.progress);
    expect(progress).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(events.at(-1)?.type).toBe("completed");
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it("returns the existing job for a repeated idempotency key", async () => {
    const first = await engine.enqueue("t.echo", { n: 1 }, { idempotencyKey: "same-key" });
    const again = await engine.jobs.enqueue(engine.scope, {
      kind: "t.echo",
      payload: { n: 2 },
      idempotencyKey: "same-key",
    });
    expect(again).toMatchObject({ created: false, job: { id: first.id } });
  });
});
