import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

// The simulator's weakest models (the cascade's cheap tier, sim-small) break every tool call;
// its strongest (sim-large) never do.
beforeAll(() => ctx.api.simulator.setInvalidToolCallRate(1));

const weather: OpenAI.ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } },
      required: ["city", "days"],
      additionalProperties: false,
    },
  },
};

interface SluiceFields {
  cost_micros: number;
  model_used: string;
  requested_model?: string;
  cascaded: boolean;
  draft_accepted: boolean | null;
}
const sluiceOf = (body: unknown) => (body as { sluice: SluiceFields }).sluice;

/** A tenant of its own, so its call log holds only the test's calls. */
async function freshTenant(name: string) {
  const tenant = await ctx.api.tenant(name, "tenant");
  const client = new OpenAI({ apiKey: tenant.key, baseURL: `${ctx.api.url}/v1`, maxRetries: 0 });
  return { tenant, client };
}

/** What the tenant's logged model calls cost, by model. */
async function loggedCosts(tenantId: string): Promise<Record<string, { calls: number; costMicros: number }>> {
  await ctx.api.services.runtime.callLog.flush();
  const usage = await ctx.api.services.stats.usage(tenantId, 1);
  return Object.fromEntries(
    usage.byModel.map((m) => [m.model, { calls: m.calls, costMicros: Number(m.costMicros) }]),
  );
}

function expectValidWeatherArguments(text: string | undefined) {
  const args = JSON.parse(text ?? "");
  expect(Object.keys(args).sort()).toEqual(["city", "days"]);
  expect(typeof args.city).toBe("string");
  expect(Number.isInteger(args.days) && args.days >= 1 && args.days <= 7).toBe(true);
}

const ask: OpenAI.ChatCompletionMessageParam[] = [
  { role: "user", content: "What will the weather be in Oslo this week?" },
];

describe("cascades with tools over /v1/chat/completions", () => {
  it("returns the strong tier's valid tool call after the cheap tier's broken one, costing both calls", async () => {
    const { tenant, client } = await freshTenant("cascade-tools");
    const r = await client.chat.completions.create({
      model: "cascade:simulator",
      messages: ask,
      tools: [weather],
    });
    const choice = r.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(choice?.message.tool_calls).toHaveLength(1);
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expectValidWeatherArguments(call?.type === "function" ? call.function.arguments : undefined);
    const sluice = sluiceOf(r);
    expect(sluice).toMatchObject({
      requested_model: "cascade:simulator",
      model_used: "sim-large",
      cascaded: true,
      draft_accepted: false,
    });
    const logged = await loggedCosts(tenant.id);
    expect(logged["sim-small"]?.calls).toBe(1);
    expect(logged["sim-large"]?.calls).toBe(1);
    expect(logged["sim-small"]?.costMicros).toBeGreaterThan(0);
    expect(sluice.cost_micros).toBe(
      (logged["sim-small"]?.costMicros ?? 0) + (logged["sim-large"]?.costMicros ?? 0),
    );
  });

  it("continues the tool loop through the cascade once the tool's result is back", async () => {
    const first = await ctx.client.chat.completions.create({
      model: "cascade:simulator",
      messages: [{ role: "user", content: "Weather in Lima for three days?" }],
      tools: [weather],
      tool_choice: "required",
    });
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    if (!message || call?.type !== "function") throw new Error("expected a tool call");
    expectValidWeatherArguments(call.function.arguments);
    const second = await ctx.client.chat.completions.create({
      model: "cascade:simulator",
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Lima for three days?" },
        message,
        { role: "tool", tool_call_id: call.id, content: '{"forecast": "sunny", "high_c": 24}' },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(second.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("streams only the accepted tool call, whole, with the cascade's cost in the usage chunk", async () => {
    const { tenant, client } = await freshTenant("cascade-tools-stream");
    const stream = await client.chat.completions.create({
      model: "cascade:simulator",
      messages: [{ role: "user", content: "What will the weather be in Pune this week?" }],
      tools: [weather],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let text = "";
    let finish: string | null | undefined;
    let sluice: SluiceFields | undefined;
    for await (const chunk of stream) {
      pieces.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      sluice = (chunk as unknown as { sluice?: SluiceFields }).sluice ?? sluice;
    }
    expect([text, finish]).toEqual(["", "tool_calls"]);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather" } });
    expect(pieces[0]?.id).toMatch(/^call/);
    expectValidWeatherArguments(pieces[0]?.function?.arguments);
    expect(sluice).toMatchObject({ model_used: "sim-large", cascaded: true, draft_accepted: false });
    const logged = await loggedCosts(tenant.id);
    expect(Object.keys(logged).sort()).toEqual(["sim-large", "sim-small"]);
    expect(sluice?.cost_micros).toBe(
      (logged["sim-small"]?.costMicros ?? 0) + (logged["sim-large"]?.costMicros ?? 0),
    );
  });

  it("accepts the cheap tier's call when it is valid", async () => {
    ctx.api.simulator.setInvalidToolCallRate(0);
    try {
      const r = await ctx.client.chat.completions.create({
        model: "cascade:simulator",
        messages: [{ role: "user", content: "What will the weather be in Cork this week?" }],
        tools: [weather],
      });
      const call = r.choices[0]?.message.tool_calls?.[0];
      expectValidWeatherArguments(call?.type === "function" ? call.function.arguments : undefined);
      expect(sluiceOf(r)).toMatchObject({ model_used: "sim-small", cascaded: false, draft_accepted: true });
    } finally {
      ctx.api.simulator.setInvalidToolCallRate(1);
    }
  });

  it("escalates a json_schema answer that is not JSON and returns the strong tier's valid one", async () => {
    const r = await ctx.client.chat.completions.create({
      model: "cascade:simulator",
      // The simulator's weak models cut their JSON short when the prompt carries this marker.
      messages: [{ role: "user", content: "Forecast for Riga as JSON [[sim:invalid-json]]" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "forecast",
          schema: {
            type: "object",
            properties: { city: { type: "string" }, high_c: { type: "number" } },
            required: ["city", "high_c"],
          },
        },
      },
    });
    const answer = JSON.parse(r.choices[0]?.message.content ?? "");
    expect([typeof answer.city, typeof answer.high_c]).toEqual(["string", "number"]);
    expect(sluiceOf(r)).toMatchObject({ model_used: "sim-large", cascaded: true, draft_accepted: false });
  });

  it("answers 400 naming the path for a tool schema that cannot be compiled, spending nothing", async () => {
    const { tenant } = await freshTenant("cascade-tools-bad-schema");
    const r = await fetch(`${ctx.api.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "cascade:simulator",
        messages: ask,
        tools: [
          weather,
          { type: "function", function: { name: "f", parameters: { type: "object", required: 3 } } },
        ],
      }),
    });
    const body = (await r.json()) as { error: { code: string; details?: { issues?: { path: string }[] } } };
    expect([r.status, body.error.code]).toEqual([400, "validation_error"]);
    expect(body.error.details?.issues?.map((i) => i.path)).toEqual(["tools.1.function.parameters"]);
    // Streamed, the same schema is refused before the stream answers 200.
    const streamed = await fetch(`${ctx.api.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "cascade:simulator",
        messages: ask,
        stream: true,
        response_format: {
          type: "json_schema",
          json_schema: { name: "answer", schema: { type: "object", properties: 5 } },
        },
      }),
    });
    const refusal = (await streamed.json()) as { error: { details?: { issues?: { path: string }[] } } };
    expect(streamed.status).toBe(400);
    expect(refusal.error.details?.issues?.map((i) => i.path)).toEqual(["response_format.json_schema.schema"]);
    expect(await loggedCosts(tenant.id)).toEqual({});
  });
});
