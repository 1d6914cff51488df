import { testPngDataUrl, textOnlyModelEntry } from "@sluice/core/testing";
import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { postResponses, weatherTool } from "./support/responsesRequests.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t, { env: { SLUICE_MODELS: JSON.stringify([textOnlyModelEntry]) } });

describe("what /v1/responses refuses, and how it says so", () => {
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
    const r = await postResponses(ctx.api, {
      model: "gpt-4o-mini",
      input: [{ role, content: [{ type: "input_text", text: "What is this?" }, part] }],
    });
    expect([r.status, r.paths]).toEqual([400, [path]]);
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
      { input: "hi", tools: [weatherTool], tool_choice: { type: "function", name: "nope" } },
      "tool_choice.name",
    ],
  ])("answers 400 naming the path for %s", async (_name, fields, path) => {
    const r = await postResponses(ctx.api, { model: "gpt-4o-mini", ...fields });
    expect([r.status, r.error.code]).toEqual([400, "validation_error"]);
    expect(r.paths).toContain(path);
  });

  it("names its own paths for what the chat path refuses: an image to a text-only model, a tool schema a cascade cannot compile", async () => {
    const image = await postResponses(ctx.api, {
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
    const tools = [weatherTool, { type: "function", name: "f", parameters: { type: "object", required: 3 } }];
    const schema = await postResponses(ctx.api, {
      model: "cascade:simulator",
      input: "Weather in Oslo?",
      tools,
    });
    expect([schema.status, schema.paths]).toEqual([400, ["tools.1.parameters"]]);
    // Schemas compile at admission: a stream is refused before it answers 200.
    const streamed = await postResponses(ctx.api, {
      model: "cascade:simulator",
      input: "Weather in Oslo?",
      tools,
      stream: true,
    });
    expect([streamed.status, streamed.paths]).toEqual([400, ["tools.1.parameters"]]);
  });

  it("refuses past the tenant's rate limit (429) and budget (402) before a stream begins", async () => {
    const limited = await ctx.api.tenant("responses-limited", "tenant", { rateLimitRpm: 1 });
    expect((await postResponses(ctx.api, { model: "gpt-4o-mini", input: "hi" }, limited.key)).status).toBe(
      200,
    );
    const second = await postResponses(
      ctx.api,
      { model: "gpt-4o-mini", input: "hi", stream: true },
      limited.key,
    );
    expect([second.status, second.error.code]).toEqual([429, "rate_limit_exceeded"]);
    expect(Number(second.retryAfter)).toBeGreaterThan(0);

    const poor = await ctx.api.tenant("responses-poor", "tenant", { dailyBudgetMicros: 3_000 });
    const costly = { model: "claude-opus-4-1", input: "hi", max_output_tokens: 32_000 };
    for (const stream of [false, true]) {
      const broke = await postResponses(ctx.api, { ...costly, stream }, poor.key);
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
