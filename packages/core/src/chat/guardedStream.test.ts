import { insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import { type BudgetGuard, createBudgetGuard } from "../limits/budgetGuard.ts";
import { type Guards, maxChatCostMicros } from "../limits/guardedCall.ts";
import { createRateLimiter } from "../limits/rateLimiter.ts";
import { createLlmRuntime, type LlmRuntime } from "../llm/llmRuntime.ts";
import type { ProviderChatRequest } from "../providers/provider.ts";
import { type GuardedStreamEvent, guardedStream } from "./guardedStream.ts";

const t = useTestDatabase();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let runtime: LlmRuntime;
let budget: BudgetGuard;
let guards: Guards;
/** Every settle the real budget guard received, in order. */
let settles: number[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  runtime = createLlmRuntime(parseConfig({ SLUICE_SIMULATOR_URL: sim.url }), t.db);
  budget = createBudgetGuard(t.db, { holder: runtime.holder });
  const counting: BudgetGuard = {
    ...budget,
    async reserve(tenant, maxCostMicros) {
      const reservation = await budget.reserve(tenant, maxCostMicros);
      return {
        settle: (actual) => {
          settles.push(actual);
          return reservation.settle(actual);
        },
      };
    },
  };
  guards = { runtime, rateLimiter: createRateLimiter(t.db), budget: counting };
});
afterAll(async () => {
  await guards.rateLimiter.close();
  await budget.close();
  await runtime.close();
  await sim.close();
});

const ask = (
  model: string,
  content = "Tell me about the weather in a few sentences",
): ProviderChatRequest => ({
  model,
  messages: [{ role: "user", content }],
});

async function collect(events: AsyncIterable<GuardedStreamEvent>) {
  const seen: GuardedStreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe("guarded stream", () => {
  it("refuses before any event when the budget cannot cover the call, reserving nothing", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-broke", dailyBudgetMicros: 0 });
    await expect(
      guardedStream(guards, { tenant }, ask("sim-small"), { context: {}, mode: "hold" }),
    ).rejects.toMatchObject({ code: "budget_exceeded" });
    expect(settles).toEqual([]);
  });

  it("streams a model's deltas, ends with its finish, and settles once with the real cost", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-plain", rateLimitRpm: 50 });
    const stream = await guardedStream(guards, { tenant }, ask("sim-small"), { context: {}, mode: "hold" });
    expect(stream.rateLimit.limitRequests).toBe(50);
    const seen = await collect(stream.events);
    const done = seen.at(-1);
    expect(done).toMatchObject({ type: "done", finish: { modelUsed: "sim-small", requested: "sim-small" } });
    const text = seen.map((e) => (e.type === "delta" ? e.text : "")).join("");
    expect(text.length).toBeGreaterThan(0);
    const cost = done?.type === "done" ? done.finish.costMicros : -1;
    expect(cost).toBeGreaterThan(0);
    await stream.abandon();
    expect(settles).toEqual([cost]);
  });

  it("runs a cascade in hold mode: attempts, the accepted text, and a finish carrying the run", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-cascade" });
    const stream = await guardedStream(guards, { tenant }, ask("cascade:simulator"), {
      context: {},
      mode: "hold",
    });
    const seen = await collect(stream.events);
    expect(seen[0]).toMatchObject({ type: "attempt", tier: expect.any(Number) });
    const done = seen.at(-1);
    if (done?.type !== "done") throw new Error("no finish");
    expect(done.finish.requested).toBe("cascade:simulator");
    expect(done.finish.cascade?.attempts.length).toBeGreaterThan(0);
    expect(settles).toEqual([done.finish.costMicros]);
  });

  it("gives the reservation back when the reader leaves early, so the budget is free again", async () => {
    settles = [];
    const request = ask("sim-small");
    const max = maxChatCostMicros(runtime.registry, runtime.cascades, request);
    // Room for one reservation at a time: a second one fits only once the first is settled.
    const tenant = await insertTenant(t.db, {
      name: "gs-leaves",
      dailyBudgetMicros: max + Math.floor(max / 2),
    });
    const first = await guardedStream(guards, { tenant }, request, { context: {}, mode: "hold" });
    await expect(
      guardedStream(guards, { tenant }, request, { context: {}, mode: "hold" }),
    ).rejects.toMatchObject({
      code: "budget_exceeded",
    });
    for await (const event of first.events) if (event.type === "delta") break;
    expect(settles).toEqual([0]);
    const second = await guardedStream(guards, { tenant }, request, { context: {}, mode: "hold" });
    await second.abandon();
  });

  it("settles a stream that is never read once, however often it is abandoned", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-abandoned" });
    const stream = await guardedStream(guards, { tenant }, ask("sim-small"), { context: {}, mode: "hold" });
    await stream.abandon();
    await stream.abandon();
    expect(settles).toEqual([0]);
  });

  it("settles nothing spent when the caller aborts mid-stream, and rethrows the abort", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-aborted" });
    const controller = new AbortController();
    const stream = await guardedStream(guards, { tenant }, ask("sim-small"), {
      context: { signal: controller.signal },
      mode: "hold",
    });
    const seen: GuardedStreamEvent[] = [];
    const outcome = (async () => {
      for await (const event of stream.events) {
        seen.push(event);
        controller.abort();
      }
    })();
    await expect(outcome).rejects.toMatchObject({ name: "AbortError" });
    expect(seen.some((e) => e.type === "done")).toBe(false);
    expect(settles).toEqual([0]);
  });

  it("settles a failing model's stream once, and rethrows the model's error", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-model-fails" });
    // Its own model: the failures may open that model's breaker, which no other test uses.
    const stream = await guardedStream(guards, { tenant }, ask("sim-medium"), { context: {}, mode: "hold" });
    sim.setFaults({ "500": 1 });
    try {
      await expect(collect(stream.events)).rejects.toMatchObject({ code: "model_error" });
    } finally {
      sim.setFaults({});
    }
    expect(settles).toEqual([0]);
  });

  it("keeps the real cost when abandon is called after reading began", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gs-late-abandon" });
    const stream = await guardedStream(guards, { tenant }, ask("sim-small"), { context: {}, mode: "hold" });
    const seen: GuardedStreamEvent[] = [];
    for await (const event of stream.events) {
      seen.push(event);
      if (seen.length === 1) void stream.abandon();
    }
    await stream.abandon();
    const done = seen.at(-1);
    expect(done?.type).toBe("done");
    expect(settles).toEqual([done?.type === "done" ? done.finish.costMicros : -1]);
  });
});
