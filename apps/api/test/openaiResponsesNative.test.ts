import { costMicros } from "@sluice/core";
import { listLlmCallsByRequest } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { postResponses, sluiceOf, streamResponses } from "./support/responsesRequests.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

/** How many requests the simulator has received on each model API so far. */
function served() {
  const counts = ctx.api.simulator.served;
  return {
    responses: counts.get("POST /v1/responses") ?? 0,
    chat: counts.get("POST /v1/chat/completions") ?? 0,
  };
}

/** The call-log rows of one request, once the writer has flushed them. */
async function loggedCalls(requestId: string) {
  await ctx.api.services.runtime.callLog.flush();
  return listLlmCallsByRequest(t.db, requestId);
}

/** What gpt-4o-mini costs for a usage, at the registry's price. */
function priced(usage: { input_tokens: number; output_tokens: number } | null | undefined) {
  const model = ctx.api.services.runtime.registry.get("gpt-4o-mini");
  return costMicros(model, {
    inputTokens: usage?.input_tokens ?? -1,
    outputTokens: usage?.output_tokens ?? -1,
  });
}

describe("/v1/responses served natively for OpenAI-family models", () => {
  it("sends gpt-4o-mini to the provider's Responses API, logged and priced at the model's price × usage", async () => {
    const before = served();
    const requestId = "native-responses-create";
    const r = await ctx.client.responses.create(
      { model: "gpt-4o-mini", instructions: "Be brief.", input: "What is a sluice?" },
      { headers: { "x-request-id": requestId } },
    );
    expect(served()).toEqual({ responses: before.responses + 1, chat: before.chat });
    expect(r.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect([r.model, r.status]).toEqual(["gpt-4o-mini", "completed"]);
    expect(r.output_text.length).toBeGreaterThan(0);
    const sluice = sluiceOf(r);
    expect([sluice.model_used, sluice.requested_model, sluice.cache_hit]).toEqual([
      "gpt-4o-mini",
      "gpt-4o-mini",
      false,
    ]);
    expect(sluice.cost_micros).toBe(priced(r.usage));
    const [call, ...others] = await loggedCalls(requestId);
    expect(others).toEqual([]);
    expect([call?.model, call?.status, call?.inputTokens, call?.outputTokens]).toEqual([
      "gpt-4o-mini",
      "ok",
      r.usage?.input_tokens,
      r.usage?.output_tokens,
    ]);
    expect(Number(call?.costMicros)).toBe(sluice.cost_micros);
  });

  it("does not serve a native request from the chat cache, and translates Anthropic models and cascades", async () => {
    const prompt = "Native answers are not cached";
    await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      temperature: 0,
      messages: [{ role: "user", content: prompt }],
    });
    const native = await ctx.client.responses.create({ model: "gpt-4o-mini", temperature: 0, input: prompt });
    expect(sluiceOf(native).cache_hit).toBe(false);
    const before = served();
    for (const model of ["claude-haiku-4-5", "cascade:simulator"]) {
      const r = await ctx.client.responses.create({ model, input: "Hello there" });
      expect(r.output_text.length).toBeGreaterThan(0);
    }
    expect(served().responses).toBe(before.responses);
  });

  it("streams natively: responses.stream().finalResponse() with Sluice's id, numbering and extension", async () => {
    const before = served();
    const stream = ctx.client.responses.stream(
      { model: "gpt-4o-mini", input: "Stream natively" },
      { headers: { "x-request-id": "native-responses-stream" } },
    );
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    let text = "";
    for await (const event of stream) {
      events.push(event);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    const final = await stream.finalResponse();
    expect(served()).toEqual({ responses: before.responses + 1, chat: before.chat });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect([events[0]?.type, events.at(-1)?.type]).toEqual(["response.created", "response.completed"]);
    expect(final.output_text).toBe(text);
    expect([final.id.startsWith("resp_"), final.model]).toEqual([true, "gpt-4o-mini"]);
    expect(sluiceOf(final).cost_micros).toBe(priced(final.usage));
    const calls = await loggedCalls("native-responses-stream");
    expect(calls.map((c) => [c.model, c.status, Number(c.costMicros)])).toEqual([
      ["gpt-4o-mini", "ok", sluiceOf(final).cost_micros],
    ]);
  });

  it("ends a native stream the provider cuts with response.failed and an error event", async () => {
    ctx.api.simulator.setFaults({ cut: 1 });
    try {
      const before = served();
      const { status, events } = await streamResponses(ctx.api, {
        model: "gpt-4o-mini",
        input: "Cut me off natively",
        stream: true,
      });
      expect(status).toBe(200);
      expect(served().responses).toBe(before.responses + 1);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events[0]?.type).toBe("response.created");
      const [failed, error] = events.slice(-2);
      expect([failed?.type, failed?.response?.status]).toEqual(["response.failed", "failed"]);
      expect([error?.type, error?.code]).toEqual(["error", failed?.response?.error?.code]);
    } finally {
      ctx.api.simulator.setFaults({});
    }
  });

  // Its own model, so the failures it provokes open no breaker the other cases go through.
  it("opens with response.created when the provider fails before its first event", async () => {
    ctx.api.simulator.setFaults({ malformed: 1 });
    try {
      const { status, events } = await streamResponses(ctx.api, {
        model: "gpt-4.1-nano",
        input: "Broken from the start",
        stream: true,
      });
      expect(status).toBe(200);
      expect(events.map((e) => [e.sequence_number, e.type])).toEqual([
        [0, "response.created"],
        [1, "response.failed"],
        [2, "error"],
      ]);
      expect([events[1]?.response?.error?.code, events[2]?.code]).toEqual(["model_error", "model_error"]);
      const stream = ctx.client.responses.stream({ model: "gpt-4.1-nano", input: "Broken again" });
      await expect(stream.finalResponse()).rejects.toBeInstanceOf(OpenAI.APIError);
    } finally {
      ctx.api.simulator.setFaults({});
    }
  });

  it("refuses past the rate limit (429) and budget (402) before the provider is called", async () => {
    const limited = await ctx.api.tenant("native-limited", "tenant", { rateLimitRpm: 1 });
    expect((await postResponses(ctx.api, { model: "gpt-4o-mini", input: "hi" }, limited.key)).status).toBe(
      200,
    );
    const before = served();
    for (const stream of [false, true]) {
      const refused = await postResponses(
        ctx.api,
        { model: "gpt-4o-mini", input: "hi", stream },
        limited.key,
      );
      expect([refused.status, refused.error.code]).toEqual([429, "rate_limit_exceeded"]);
    }
    const poor = await ctx.api.tenant("native-poor", "tenant", { dailyBudgetMicros: 1 });
    for (const stream of [false, true]) {
      const refused = await postResponses(ctx.api, { model: "gpt-4o-mini", input: "hi", stream }, poor.key);
      expect([refused.status, refused.error.code]).toEqual([402, "budget_exceeded"]);
    }
    expect(served()).toEqual(before);
  });
});
