import { testPngDataUrl } from "@sluice/core/testing";
import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useOpenAiApi } from "./support/openaiClient.ts";

const t = useTestDatabase();
// A model that takes text only, as an operator would configure one.
const textOnly = {
  id: "sim-text",
  provider: "simulator",
  upstream: "sim-small",
  family: "openai",
  inputMicrosPerMillion: 100_000,
  outputMicrosPerMillion: 400_000,
  contextWindow: 128_000,
  maxOutputTokens: 1_000,
  inputs: ["text"],
};
const ctx = useOpenAiApi(t, { env: { SLUICE_MODELS: JSON.stringify([textOnly]) } });

const weather: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
  },
  strict: true,
};

type Sluice = { sluice: { model_used: string; requested_model: string; cost_micros: number } };

/** The status, error and issue paths of a raw request, to read Sluice's validation issues. */
async function post(body: unknown, key = ctx.api.a.key) {
  const response = await fetch(`${ctx.api.url}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as {
    error: { code: string; message: string; details?: { issues?: { path: string }[] } };
  };
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    error: json.error,
    paths: (json.error?.details?.issues ?? []).map((i) => i.path),
  };
}

/** One server-sent event as read off the wire. */
type WireEvent = {
  type: string;
  sequence_number: number;
  code?: string;
  message?: string;
  response?: { status: string; error: { code: string } | null };
};

/** The events of a raw streamed request, read off the wire after checking it began with 200. */
async function streamEvents(body: unknown): Promise<WireEvent[]> {
  const response = await fetch(`${ctx.api.url}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.text())
    .split("\n\n")
    .filter((block) => block.startsWith("event: "))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)) as WireEvent);
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

describe("the Responses API through the OpenAI SDK", () => {
  it("answers a string input with instructions: output_text, usage and the sluice extension", async () => {
    const r = await ctx.client.responses.create({
      model: "gpt-4o-mini",
      instructions: "Answer in one sentence.",
      input: "What is a sluice?",
      metadata: { ticket: "42" },
    });
    expect(r.id).toMatch(/^resp_/);
    expect([r.object, r.status, r.model, r.instructions]).toEqual([
      "response",
      "completed",
      "gpt-4o-mini",
      "Answer in one sentence.",
    ]);
    expect(r.output_text.length).toBeGreaterThan(0);
    const message = r.output[0];
    if (message?.type !== "message") throw new Error("expected a message item");
    expect(message.content[0]).toMatchObject({ type: "output_text", text: r.output_text, annotations: [] });
    expect(r.usage?.input_tokens).toBeGreaterThan(0);
    expect(r.usage?.output_tokens).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe((r.usage?.input_tokens ?? 0) + (r.usage?.output_tokens ?? 0));
    expect(r.usage?.input_tokens_details.cached_tokens).toBe(0);
    expect(r.metadata).toEqual({ ticket: "42" });
    expect((r as unknown as Sluice).sluice.model_used).toBe("gpt-4o-mini");
  });

  it("goes through the chat path: an answer cached by chat completions serves the same Responses request", async () => {
    const prompt = "Cache me across APIs";
    await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      temperature: 0,
      messages: [{ role: "user", content: prompt }],
    });
    const r = await ctx.client.responses.create({ model: "gpt-4o-mini", temperature: 0, input: prompt });
    expect((r as unknown as { sluice: { cache_hit: boolean } }).sluice.cache_hit).toBe(true);
  });

  it("takes message items with text parts and an earlier assistant turn", async () => {
    const r = await ctx.client.responses.create({
      model: "gpt-4o-mini",
      input: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "input_text", text: "Name a river." }] },
        {
          type: "message",
          role: "assistant",
          id: "msg_earlier",
          status: "completed",
          content: [{ type: "output_text", text: "The Rhine.", annotations: [] }],
        },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Another one?" }] },
      ],
    });
    expect(r.status).toBe("completed");
    expect(r.output_text.length).toBeGreaterThan(0);
  });

  it("passes an input_image to the model, its tokens counted in input_tokens", async () => {
    const question = { type: "input_text" as const, text: "What is in this picture?" };
    const ask = (model: string, ...image: OpenAI.Responses.ResponseInputImage[]) =>
      ctx.client.responses.create({
        model,
        max_output_tokens: 30,
        input: [{ role: "user", content: [question, ...image] }],
      });
    const plain = await ask("gpt-4o-mini");
    const seeing = await ask("gpt-4o-mini", {
      type: "input_image",
      image_url: testPngDataUrl(600, 400),
      detail: "auto",
    });
    expect(seeing.output_text.length).toBeGreaterThan(0);
    // As on chat completions: 600x400 is 2 tiles of 512, at gpt-4o-mini's 2833 + 5667 a tile.
    expect((seeing.usage?.input_tokens ?? 0) - (plain.usage?.input_tokens ?? 0)).toBe(2833 + 2 * 5667);
    const claude = await ask("claude-haiku-4-5", {
      type: "input_image",
      image_url: testPngDataUrl(200, 200),
      detail: "auto",
    });
    expect(claude.output_text.length).toBeGreaterThan(0);
  });

  it.each([
    [
      "an image by file_id",
      "user",
      { type: "input_image", file_id: "file-1", detail: "auto" },
      "input.0.content.1.file_id",
    ],
    [
      "an http:// image URL",
      "user",
      { type: "input_image", image_url: "http://example.com/a.png" },
      "input.0.content.1.image_url",
    ],
    [
      "an image from the assistant",
      "assistant",
      { type: "input_image", image_url: testPngDataUrl(8, 8) },
      "input.0.content.1.type",
    ],
    [
      "a file by file_url",
      "user",
      { type: "input_file", file_url: "https://example.com/a.pdf" },
      "input.0.content.1.file_url",
    ],
  ])("refuses %s with a 400 naming its path", async (_name, role, part, path) => {
    const r = await post({
      model: "gpt-4o-mini",
      input: [{ role, content: [{ type: "input_text", text: "What is this?" }, part] }],
    });
    expect([r.status, r.paths]).toEqual([400, [path]]);
  });

  it.each(["gpt-4o-mini", "claude-haiku-4-5", "cascade:simulator"])(
    "runs a function tool round trip on %s: function_call, function_call_output, then text",
    async (model) => {
      const first = await ctx.client.responses.create({
        model,
        input: [{ role: "user", content: "Weather in Oslo?" }],
        tools: [weather],
      });
      const call = first.output.find((item) => item.type === "function_call");
      if (call?.type !== "function_call") throw new Error("expected a function call");
      expect([call.name, call.status]).toEqual(["get_weather", "completed"]);
      expect(call.id).toMatch(/^fc_/);
      expect(Object.keys(JSON.parse(call.arguments)).sort()).toEqual(["city", "unit"]);
      expect(first.output_text).toBe("");

      const answer = await ctx.client.responses.create({
        model,
        input: [
          { role: "user", content: "Weather in Oslo?" },
          // What the model said goes back as input, as a stateless client keeps the conversation.
          ...first.output.flatMap((item) =>
            item.type === "function_call" || item.type === "message" ? [item] : [],
          ),
          { type: "function_call_output", call_id: call.call_id, output: '{"temp_c": 3}' },
        ],
        tools: [weather],
      });
      expect(answer.status).toBe("completed");
      expect(answer.output.map((item) => item.type)).toEqual(["message"]);
      expect(answer.output_text.length).toBeGreaterThan(0);
    },
  );

  it("calls the function tool_choice names", async () => {
    const clock: OpenAI.Responses.FunctionTool = {
      type: "function",
      name: "get_time",
      parameters: null,
      strict: null,
    };
    const r = await ctx.client.responses.create({
      model: "gpt-4o-mini",
      input: "What time is it?",
      tools: [weather, clock],
      tool_choice: { type: "function", name: "get_time" },
    });
    const call = r.output.find((item) => item.type === "function_call");
    expect(call?.type === "function_call" && [call.name, call.arguments]).toEqual(["get_time", "{}"]);
    expect(r.tool_choice).toEqual({ type: "function", name: "get_time" });
  });

  it("answers JSON matching text.format's json_schema", async () => {
    const r = await ctx.client.responses.create({
      model: "gpt-4o-mini",
      input: "Classify: my invoice is wrong",
      text: {
        format: {
          type: "json_schema",
          name: "ticket",
          strict: true,
          schema: {
            type: "object",
            properties: {
              category: { type: "string", enum: ["billing", "other"] },
              urgent: { type: "boolean" },
            },
            required: ["category", "urgent"],
            additionalProperties: false,
          },
        },
      },
    });
    const parsed = JSON.parse(r.output_text) as { category: string; urgent: boolean };
    expect(["billing", "other"]).toContain(parsed.category);
    expect(typeof parsed.urgent).toBe("boolean");
    expect(r.text?.format?.type).toBe("json_schema");
  });

  it("parses a zodTextFormat answer with responses.parse into a typed object", async () => {
    const Ticket = z.object({ category: z.enum(["billing", "bug", "other"]), urgent: z.boolean() });
    const r = await ctx.client.responses.parse({
      model: "gpt-4o-mini",
      input: "Classify: I was charged twice",
      text: { format: zodTextFormat(Ticket, "ticket") },
    });
    expect(Ticket.parse(r.output_parsed)).toEqual(r.output_parsed);
  });

  it("marks a response cut by max_output_tokens incomplete", async () => {
    const r = await ctx.client.responses.create({
      model: "gpt-4o-mini",
      input: "Write a long essay about rivers and their sluices.",
      max_output_tokens: 1,
    });
    expect([r.status, r.incomplete_details?.reason, r.max_output_tokens]).toEqual([
      "incomplete",
      "max_output_tokens",
      1,
    ]);
    expect(r.usage?.output_tokens).toBe(1);
  });

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
    expect((completed.response as unknown as Sluice).sluice.model_used).toBe("gpt-4o-mini");
  });

  it("streams a function call as function_call_arguments events and its final item", async () => {
    const stream = ctx.client.responses.stream({
      model: "gpt-4o-mini",
      input: "Weather in Oslo?",
      tools: [weather],
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
    expect((done.response as unknown as Sluice).sluice.requested_model).toBe("cascade:simulator");
  });

  it("ends a stream the provider cuts with response.failed and an error event the SDK raises", async () => {
    ctx.api.simulator.setFaults({ cut: 1 });
    try {
      const events = await streamEvents({ model: "gpt-4o-mini", input: "Cut me off", stream: true });
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

  it("serves an Anthropic model and a cascade by translation", async () => {
    const claude = await ctx.client.responses.create({ model: "claude-haiku-4-5", input: "Hello Claude" });
    expect([claude.status, claude.model]).toEqual(["completed", "claude-haiku-4-5"]);
    expect(claude.output_text.length).toBeGreaterThan(0);
    expect((claude as unknown as Sluice).sluice.model_used).toBe("claude-haiku-4-5");

    const cascade = await ctx.client.responses.create({ model: "cascade:simulator", input: "Hello cascade" });
    expect(cascade.output_text.length).toBeGreaterThan(0);
    const sluice = (cascade as unknown as Sluice).sluice;
    expect(sluice.requested_model).toBe("cascade:simulator");
    expect(sluice.model_used).toMatch(/^sim-/);
    expect(sluice.cost_micros).toBeGreaterThan(0);
  });

  it.each([
    ["an unknown field", { input: "hi", frobnicate: true }, "frobnicate"],
    ["store: true", { input: "hi", store: true }, "store"],
    ["previous_response_id", { input: "hi", previous_response_id: "resp_1" }, "previous_response_id"],
    [
      "a function_call_output answering no earlier call",
      {
        input: [
          { role: "user", content: "hi" },
          { type: "function_call_output", call_id: "call_x", output: "3" },
        ],
      },
      "input.1.call_id",
    ],
    ["a tool that is not a function", { input: "hi", tools: [{ type: "web_search" }] }, "tools.0.type"],
    ["truncation: auto", { input: "hi", truncation: "auto" }, "truncation"],
    ["an input item of an unknown type", { input: [{ type: "reasoning", summary: [] }] }, "input.0.type"],
    [
      "a tool_choice naming no declared tool",
      { input: "hi", tools: [weather], tool_choice: { type: "function", name: "nope" } },
      "tool_choice.name",
    ],
  ])("answers 400 naming the path for %s", async (_name, fields, path) => {
    const r = await post({ model: "gpt-4o-mini", ...fields });
    expect([r.status, r.error.code]).toEqual([400, "validation_error"]);
    expect(r.paths).toContain(path);
  });

  it("names its own paths for what the chat path refuses: an image to a text-only model, a tool schema a cascade cannot compile", async () => {
    const image = await post({
      model: "sim-text",
      instructions: "Be brief.",
      input: [
        { role: "user", content: "Hello" },
        {
          role: "user",
          content: [
            { type: "input_text", text: "And this?" },
            { type: "input_image", image_url: testPngDataUrl(8, 8) },
          ],
        },
      ],
    });
    expect([image.status, image.paths]).toEqual([400, ["input.1.content.1"]]);
    expect(image.error.message).toContain('model "sim-text" does not take image_url parts');
    const tools = [weather, { type: "function", name: "f", parameters: { type: "object", required: 3 } }];
    const schema = await post({ model: "cascade:simulator", input: "Weather in Oslo?", tools });
    expect([schema.status, schema.paths]).toEqual([400, ["tools.1.parameters"]]);
    // A cascade compiles the schema once it runs: a stream has begun, and ends with the error.
    const events = await streamEvents({
      model: "cascade:simulator",
      input: "Weather in Oslo?",
      tools,
      stream: true,
    });
    expect(events.at(-1)).toMatchObject({ type: "error", code: "validation_error" });
    expect(events.at(-1)?.message).toContain("tools.1.parameters: is not a usable JSON Schema");
  });

  it("refuses past the tenant's rate limit (429) and budget (402) before a stream begins", async () => {
    const limited = await ctx.api.tenant("responses-limited", "tenant", { rateLimitRpm: 1 });
    expect((await post({ model: "gpt-4o-mini", input: "hi" }, limited.key)).status).toBe(200);
    const second = await post({ model: "gpt-4o-mini", input: "hi", stream: true }, limited.key);
    expect([second.status, second.error.code]).toEqual([429, "rate_limit_exceeded"]);
    expect(Number(second.retryAfter)).toBeGreaterThan(0);

    const poor = await ctx.api.tenant("responses-poor", "tenant", { dailyBudgetMicros: 3_000 });
    const costly = { model: "claude-opus-4-1", input: "hi", max_output_tokens: 32_000 };
    for (const stream of [false, true]) {
      const broke = await post({ ...costly, stream }, poor.key);
      expect([broke.status, broke.error.code]).toEqual([402, "budget_exceeded"]);
    }
  });

  it("names the field in the message the SDK raises", async () => {
    const refused = ctx.client.responses.create({ model: "gpt-4o-mini", input: "hi", store: true });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toThrow(/store: .*not supported/);
    const second = ctx.client.responses.create({
      model: "gpt-4o-mini",
      input: "hi",
      tools: [{ type: "web_search" }],
    });
    await expect(second).rejects.toThrow(/"web_search" tools are not supported/);
  });
});
