import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import { isSluiceError } from "../errors/sluiceError.ts";
import { createModelClient, type ModelClient } from "../llm/modelClient.ts";
import { costMicros } from "../models/cost.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import type { ProviderChatRequest, ProviderTool } from "../providers/provider.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import { runCascade } from "./cascadeEngine.ts";
import type { CascadeResult } from "./cascadeResult.ts";
import { cascadeSpecSchema } from "./cascadeSpec.ts";
import { type CascadeStreamEvent, streamCascade } from "./cascadeStream.ts";

const registry = createModelRegistry();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let models: ModelClient;

// The weakest simulated models break every tool call; the strongest never do.
beforeAll(async () => {
  sim = await startSimulator({ seed: 42, invalidToolCallRate: 1 });
  models = createModelClient({
    registry,
    providers: createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: sim.url }).providers),
  });
});
afterAll(() => sim.close());

const cascade = cascadeSpecSchema.parse({
  name: "tools",
  tiers: [{ model: "sim-small" }, { model: "sim-large" }],
});
const weather: ProviderTool = {
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } },
    required: ["city", "days"],
    additionalProperties: false,
  },
};
const askWeather = (city: string): ProviderChatRequest => ({
  model: "ignored",
  messages: [{ role: "user", content: `What is the weather in ${city} this week?` }],
  tools: [weather],
});

/** The result's attempts cost what their tokens cost at each tier's price, and the run their sum. */
function expectExactCosts(result: CascadeResult) {
  for (const a of result.attempts) {
    expect(a.costMicros).toBeGreaterThan(0);
    expect(a.costMicros).toBe(costMicros(registry.get(a.model), a));
  }
  expect(result.totalCostMicros).toBe(result.attempts.reduce((sum, a) => sum + a.costMicros, 0));
  expect(result.savedMicros).toBe(result.counterfactualMicros - result.totalCostMicros);
}

function expectValidWeatherCall(result: CascadeResult) {
  expect(result.finishReason).toBe("tool_calls");
  expect(result.toolCalls).toHaveLength(1);
  const call = result.toolCalls?.[0];
  expect(call?.name).toBe("get_weather");
  const args = JSON.parse(call?.arguments ?? "");
  expect(Object.keys(args).sort()).toEqual(["city", "days"]);
  expect(typeof args.city).toBe("string");
  expect(Number.isInteger(args.days) && args.days >= 1 && args.days <= 7).toBe(true);
}

describe("cascades with tools", () => {
  it("escalates past an invalid tool call and returns the strong tier's valid one, at the exact cost", async () => {
    const result = await runCascade(models, { cascade, request: askWeather("Oslo") });
    expect(result).toMatchObject({ modelUsed: "sim-large", cascaded: true, draftAccepted: false });
    expect(result.attempts.map((a) => [a.model, a.verdict])).toEqual([
      ["sim-small", "rejected"],
      ["sim-large", "accepted"],
    ]);
    expect(result.attempts[0]?.reason).toMatch(/^tool call 0 \(get_weather\): arguments/);
    expect(result.attempts[1]?.reason).toBe("no confidence signal");
    expectValidWeatherCall(result);
    expectExactCosts(result);
  });

  it("accepts the cheap tier's call when it is valid", async () => {
    sim.setInvalidToolCallRate(0);
    try {
      const result = await runCascade(models, { cascade, request: askWeather("Lima") });
      expect(result).toMatchObject({ modelUsed: "sim-small", cascaded: false, draftAccepted: true });
      expectValidWeatherCall(result);
      expectExactCosts(result);
    } finally {
      sim.setInvalidToolCallRate(1);
    }
  });

  it("records each kind of broken call as the attempt's reason", async () => {
    const reasons = new Set<string>();
    for (const city of ["Oslo", "Lima", "Pune", "Cork", "Bern", "Kyiv", "Nice", "Baku", "Doha", "Riga"]) {
      const result = await runCascade(models, { cascade, request: askWeather(city) });
      const reason = result.attempts[0]?.reason ?? "";
      reasons.add(reason.replace(/arguments\.[a-z]+:/, "arguments.<field>:").replace(/: must be \w+$/, ""));
      expectValidWeatherCall(result);
    }
    expect([...reasons].sort()).toEqual(
      [
        "tool call 0 (get_weather): arguments are not valid JSON",
        "tool call 0 (get_weather): arguments.<field>: is required",
        "tool call 0 (get_weather): arguments.<field>",
      ].sort(),
    );
  });

  it("refuses a tool schema that does not compile before any tier is paid for", async () => {
    const broken: ProviderTool = {
      name: "f",
      parameters: { type: "object", properties: { a: { type: 12 } } },
    };
    const error = await runCascade(models, {
      cascade,
      request: { ...askWeather("Oslo"), tools: [weather, broken] },
    }).catch((e: unknown) => e);
    expect(isSluiceError(error) && error.code).toBe("validation_error");
    expect(isSluiceError(error) && error.details).toMatchObject({
      issues: [{ path: "tools.1.function.parameters" }],
    });
  });

  async function streamed(mode: "hold" | "optimistic", request: ProviderChatRequest) {
    const events: CascadeStreamEvent[] = [];
    for await (const e of streamCascade(models, { cascade, request }, mode)) events.push(e);
    return events;
  }

  it.each(["hold", "optimistic"] as const)(
    "%s mode holds tool calls until validated and emits only the accepted one",
    async (mode) => {
      const events = await streamed(mode, askWeather("Oslo"));
      const kinds = events.map((e) => (e.type === "attempt" ? `attempt:${e.model}` : e.type));
      expect(kinds).toEqual([
        "attempt:sim-small",
        ...(mode === "optimistic" ? ["retract"] : []),
        "attempt:sim-large",
        "tool_call",
        "done",
      ]);
      const done = events.at(-1);
      if (done?.type !== "done") throw new Error("the stream did not end with done");
      expectValidWeatherCall(done.result);
      expectExactCosts(done.result);
      const call = done.result.toolCalls?.[0];
      expect(events.find((e) => e.type === "tool_call")).toEqual({
        type: "tool_call",
        index: 0,
        id: call?.id,
        name: "get_weather",
        arguments: call?.arguments,
      });
      expect(done.result.attempts[0]?.reason).toMatch(/^tool call 0 \(get_weather\)/);
    },
  );
});

describe("cascades with response_format json_schema", () => {
  const schema = {
    type: "object",
    properties: { city: { type: "string" }, temperature: { type: "number" } },
    required: ["city", "temperature"],
  };
  const askJson = (content: string, body = schema): ProviderChatRequest => ({
    model: "ignored",
    messages: [{ role: "user", content }],
    responseFormat: { type: "json_schema", name: "forecast", schema: body },
  });

  it("escalates past a draft that is not JSON and returns the strong tier's valid answer", async () => {
    const result = await runCascade(models, {
      cascade,
      request: askJson("Forecast for Oslo [[sim:invalid-json]]"),
    });
    expect(result.attempts.map((a) => [a.model, a.verdict, a.reason])).toEqual([
      ["sim-small", "rejected", "schema: not valid JSON"],
      ["sim-large", "accepted", expect.stringMatching(/^confidence [\d.]+ ≥ 0\.8$/)],
    ]);
    const answer = JSON.parse(result.content);
    expect([typeof answer.city, typeof answer.temperature]).toEqual(["string", "number"]);
    expect(result.parsed).toEqual(answer);
    expectExactCosts(result);
  });

  it("validates the whole schema, and returns the last tier's answer as is when every tier breaks it", async () => {
    // The simulated models ignore `pattern`, so every tier's code breaks it.
    const strict = {
      ...schema,
      properties: { ...schema.properties, code: { type: "string", pattern: "^[0-9]{4}$" } },
    };
    const result = await runCascade(models, {
      cascade,
      request: askJson("Forecast for Lima", { ...strict, required: [...schema.required, "code"] }),
    });
    expect(result.attempts.map((a) => [a.model, a.verdict, a.reason])).toEqual([
      ["sim-small", "rejected", 'schema: code: must match pattern "^[0-9]{4}$"'],
      ["sim-large", "rejected", 'schema: code: must match pattern "^[0-9]{4}$"'],
    ]);
    expect(result).toMatchObject({ modelUsed: "sim-large", outcome: "escalated", cascaded: true });
    expect(JSON.parse(result.content).code).toEqual(expect.any(String));
    expectExactCosts(result);
  });
});
