import { insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import { createLlmRuntime, type LlmRuntime } from "../llm/llmRuntime.ts";
import type { NativeResponsesCall } from "../llm/modelResponses.ts";
import { costMicros } from "../models/cost.ts";
import { type BudgetGuard, createBudgetGuard } from "./budgetGuard.ts";
import { type Guards, guardedResponses, guardedResponsesStream } from "./guardedCall.ts";
import { createRateLimiter } from "./rateLimiter.ts";

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

const content = "Tell me about the weather in a few sentences";
const call = (model = "gpt-4o-mini"): NativeResponsesCall => ({
  chat: { model, messages: [{ role: "user", content }] },
  body: { model, input: content },
});

describe("guarded native Responses calls", () => {
  it("settles a created response once with the model's price × the provider's usage", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gr-create" });
    const served = sim.served.get("POST /v1/responses") ?? 0;
    const { outcome } = await guardedResponses(guards, { tenant }, call(), {});
    expect(sim.served.get("POST /v1/responses")).toBe(served + 1);
    expect(outcome.costMicros).toBe(costMicros(runtime.registry.get("gpt-4o-mini"), outcome.usage));
    expect(settles).toEqual([outcome.costMicros]);
  });

  it("refuses before the provider is called when the budget cannot cover the call", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gr-broke", dailyBudgetMicros: 0 });
    const served = sim.served.get("POST /v1/responses") ?? 0;
    await expect(guardedResponses(guards, { tenant }, call(), {})).rejects.toMatchObject({
      code: "budget_exceeded",
    });
    await expect(guardedResponsesStream(guards, { tenant }, call(), {})).rejects.toMatchObject({
      code: "budget_exceeded",
    });
    expect(sim.served.get("POST /v1/responses") ?? 0).toBe(served);
    expect(settles).toEqual([]);
  });

  it("streams the provider's events and settles once with the real cost", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gr-stream" });
    const stream = await guardedResponsesStream(guards, { tenant }, call(), {});
    const types: string[] = [];
    let cost = -1;
    for await (const event of stream.events) {
      types.push(event.event.type);
      if (event.type === "done") cost = event.costMicros;
    }
    expect([types[0], types.at(-1)]).toEqual(["response.created", "response.completed"]);
    expect(cost).toBeGreaterThan(0);
    await stream.abandon();
    expect(settles).toEqual([cost]);
  });

  it("settles once with nothing spent when the reader leaves early or never reads", async () => {
    settles = [];
    const tenant = await insertTenant(t.db, { name: "gr-leave" });
    const left = await guardedResponsesStream(guards, { tenant }, call(), {});
    for await (const event of left.events) if (event.event.type === "response.output_text.delta") break;
    await left.abandon();
    expect(settles).toEqual([0]);
    const unread = await guardedResponsesStream(guards, { tenant }, call(), {});
    await unread.abandon();
    await unread.abandon();
    expect(settles).toEqual([0, 0]);
  });
});
