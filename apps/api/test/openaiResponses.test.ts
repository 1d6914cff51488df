import { testPngDataUrl } from "@sluice/core/testing";
import { useTestDatabase } from "@sluice/db/testing";
import type OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { sluiceOf, weatherTool } from "./support/responsesRequests.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

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
    expect(sluiceOf(r).model_used).toBe("gpt-4o-mini");
  });

  it("translates for a model served over chat: an answer cached by chat completions serves the same Responses request", async () => {
    const prompt = "Cache me across APIs";
    await ctx.client.chat.completions.create({
      model: "claude-haiku-4-5",
      temperature: 0,
      messages: [{ role: "user", content: prompt }],
    });
    const r = await ctx.client.responses.create({ model: "claude-haiku-4-5", temperature: 0, input: prompt });
    expect(sluiceOf(r).cache_hit).toBe(true);
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

  it.each(["gpt-4o-mini", "claude-haiku-4-5", "cascade:simulator"])(
    "runs a function tool round trip on %s: function_call, function_call_output, then text",
    async (model) => {
      const first = await ctx.client.responses.create({
        model,
        input: [{ role: "user", content: "Weather in Oslo?" }],
        tools: [weatherTool],
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
        tools: [weatherTool],
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
      tools: [weatherTool, clock],
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

  it("serves an Anthropic model and a cascade by translation", async () => {
    const claude = await ctx.client.responses.create({ model: "claude-haiku-4-5", input: "Hello Claude" });
    expect([claude.status, claude.model]).toEqual(["completed", "claude-haiku-4-5"]);
    expect(claude.output_text.length).toBeGreaterThan(0);
    expect(sluiceOf(claude).model_used).toBe("claude-haiku-4-5");

    const cascade = await ctx.client.responses.create({ model: "cascade:simulator", input: "Hello cascade" });
    expect(cascade.output_text.length).toBeGreaterThan(0);
    const sluice = sluiceOf(cascade);
    expect(sluice.requested_model).toBe("cascade:simulator");
    expect(sluice.model_used).toMatch(/^sim-/);
    expect(sluice.cost_micros).toBeGreaterThan(0);
  });
});
