import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { sluiceOf, streamResponses, weatherTool } from "./support/responsesRequests.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

/** The events of a raw streamed request, after checking it began with 200. */
async function streamed(body: unknown) {
  const { status, events } = await streamResponses(ctx.api, body);
  expect(status).toBe(200);
  return events;
}

/** The event types of a stream in order, checking that sequence numbers count up from 0. */
function typesInOrder(events: { type: string; sequence_number: number }[]): string[] {
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  // Runs of deltas collapse to one entry, so the shape of the sequence is what is compared.
  return events
    .map((e) => e.type)
    .filter((type, i, all) => !(type.endsWith(".delta") && all[i - 1] === type));
}

const textSequence = [
  "response.created",
  "response.in_progress",
  "response.output_item.added",
  "response.content_part.added",
  "response.output_text.delta",
  "response.output_text.done",
  "response.content_part.done",
  "response.output_item.done",
  "response.completed",
];

describe("streamed responses through the OpenAI SDK", () => {
  it("streams the Responses event sequence with responses.stream and a final response", async () => {
    const stream = ctx.client.responses.stream({
      model: "gpt-4o-mini",
      instructions: "Be brief.",
      input: "Stream please",
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    let text = "";
    for await (const event of stream) {
      events.push(event);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(typesInOrder(events)).toEqual(textSequence);
    const final = await stream.finalResponse();
    expect(text.length).toBeGreaterThan(0);
    expect(final.output_text).toBe(text);
    expect(final.status).toBe("completed");
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
    const created = events[0];
    const completed = events.at(-1);
    if (created?.type !== "response.created" || completed?.type !== "response.completed")
      throw new Error("expected created first and completed last");
    expect(completed.response.id).toBe(created.response.id);
    expect(sluiceOf(completed.response).model_used).toBe("gpt-4o-mini");
  });

  it("streams a function call as function_call_arguments events and its final item", async () => {
    const stream = ctx.client.responses.stream({
      model: "gpt-4o-mini",
      input: "Weather in Oslo?",
      tools: [weatherTool],
      tool_choice: "required",
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    let args = "";
    for await (const event of stream) {
      events.push(event);
      if (event.type === "response.function_call_arguments.delta") args += event.delta;
    }
    expect(typesInOrder(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const final = await stream.finalResponse();
    const call = final.output[0];
    if (call?.type !== "function_call") throw new Error("expected a function call");
    expect([call.name, call.arguments, call.status]).toEqual(["get_weather", args, "completed"]);
    expect(Object.keys(JSON.parse(args)).sort()).toEqual(["city", "unit"]);
  });

  it("streams with create({ stream: true }) for a cascade, holding the draft until it is accepted", async () => {
    const stream = await ctx.client.responses.create({
      model: "cascade:simulator",
      input: "Hello there",
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(typesInOrder(events)).toEqual(textSequence);
    const done = events.at(-1);
    if (done?.type !== "response.completed") throw new Error("expected response.completed last");
    expect(done.response.output_text.length).toBeGreaterThan(0);
    expect(sluiceOf(done.response).requested_model).toBe("cascade:simulator");
  });

  it("ends a stream the provider cuts with response.failed and an error event the SDK raises", async () => {
    ctx.api.simulator.setFaults({ cut: 1 });
    try {
      const events = await streamed({ model: "gpt-4o-mini", input: "Cut me off", stream: true });
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(["response.created", "response.in_progress"]);
      const [failed, error] = events.slice(-2);
      expect([failed?.type, failed?.response?.status]).toEqual(["response.failed", "failed"]);
      expect([error?.type, error?.code]).toEqual(["error", failed?.response?.error?.code]);
      expect(error?.message?.length).toBeGreaterThan(0);

      const stream = ctx.client.responses.stream({ model: "gpt-4o-mini", input: "Cut me off again" });
      await expect(stream.finalResponse()).rejects.toBeInstanceOf(OpenAI.APIError);
    } finally {
      ctx.api.simulator.setFaults({});
    }
  });
});
