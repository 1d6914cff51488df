import { BadRequestError } from "@anthropic-ai/sdk";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import {
  hello,
  imageTurn,
  PNG_1X1,
  postAnthropic,
  useAnthropicApi,
  weatherTool as weather,
} from "./support/anthropicClient.ts";

const t = useTestDatabase();
const ctx = useAnthropicApi(t);
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  postAnthropic(ctx.api, path, body, headers);

describe("errors on /v1/messages in Anthropic's shape", () => {
  const toolTurns = [
    { role: "user", content: "hi" },
    { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }] },
  ];
  it.each([
    ["an unknown field", { ...hello, model: "gpt-4o-mini", frobnicate: true }, "frobnicate"],
    ["a missing max_tokens", { model: "gpt-4o-mini", messages: hello.messages }, "max_tokens"],
    [
      "a tool_result answering no tool_use",
      {
        model: "gpt-4o-mini",
        max_tokens: 10,
        messages: [
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "3" }] },
        ],
      },
      "messages.0.content.0.tool_use_id",
    ],
    [
      "a tool_use left unanswered",
      {
        model: "gpt-4o-mini",
        max_tokens: 10,
        tools: [weather],
        messages: [...toolTurns, { role: "user", content: "and?" }],
      },
      "messages.1.content.0.id",
    ],
    [
      "a tool_choice naming no declared tool",
      { ...hello, model: "gpt-4o-mini", tools: [weather], tool_choice: { type: "tool", name: "nope" } },
      "tool_choice.name",
    ],
    [
      "a server tool",
      { ...hello, model: "gpt-4o-mini", tools: [{ type: "web_search_20250305", name: "web_search" }] },
      "tools.0.type",
    ],
    ["temperature above 1", { ...hello, model: "gpt-4o-mini", temperature: 1.5 }, "temperature"],
    [
      "extended thinking",
      { ...hello, model: "gpt-4o-mini", thinking: { type: "enabled", budget_tokens: 1024 } },
      "thinking.type",
    ],
    [
      "an http:// image URL",
      {
        ...hello,
        model: "gpt-4o-mini",
        messages: [imageTurn({ type: "url", url: "http://example.com/a.png" })],
      },
      "messages.0.content.1.source.url",
    ],
    [
      "image bytes of another type than declared",
      {
        ...hello,
        model: "gpt-4o-mini",
        messages: [imageTurn({ type: "base64", media_type: "image/jpeg", data: PNG_1X1 })],
      },
      "messages.0.content.1.source.data",
    ],
    [
      "a document fetched by URL (Sluice does not fetch)",
      {
        ...hello,
        model: "claude-haiku-4-5",
        messages: [
          {
            role: "user",
            content: [{ type: "document", source: { type: "url", url: "https://example.com/a.pdf" } }],
          },
        ],
      },
      "messages.0.content.0.source.type",
    ],
  ])("answers 400 invalid_request_error naming the path for %s", async (_name, body, path) => {
    const r = await post("/v1/messages", body);
    expect([r.status, r.json.type, r.json.error.type]).toEqual([400, "error", "invalid_request_error"]);
    expect(r.paths).toContain(path);
    expect(r.json.error.message).toContain(path);
    expect(r.json.request_id).toBe(r.headers.get("x-request-id"));
    expect(r.headers.get("request-id")).toBe(r.json.request_id);
  });

  it("refuses an unknown anthropic-version by name and accepts a missing one", async () => {
    const wrong = await post(
      "/v1/messages",
      { ...hello, model: "gpt-4o-mini" },
      { "anthropic-version": "2020-01-01" },
    );
    expect([wrong.status, wrong.json.error.type]).toEqual([400, "invalid_request_error"]);
    expect(wrong.json.error.message).toContain("anthropic-version");
    expect(wrong.paths).toEqual(["header.anthropic-version"]);
    const absent = await post(
      "/v1/messages",
      { ...hello, model: "gpt-4o-mini" },
      { "anthropic-version": "" },
    );
    expect(absent.status).toBe(200);
  });

  it("throws the SDK's BadRequestError, not a server error, for a bad request", async () => {
    const refused = await ctx.client.messages
      .create({ model: "gpt-4o-mini", max_tokens: 0, messages: hello.messages })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect((refused as BadRequestError).error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
  });

  it("answers unreadable JSON, unknown models and unknown paths in Anthropic's shape", async () => {
    const broken = await post("/v1/messages", "{not json");
    expect([broken.status, broken.json.error.type]).toEqual([400, "invalid_request_error"]);
    const unknown = await post("/v1/messages", { ...hello, model: "no-such-model" });
    expect([unknown.status, unknown.json.error.type]).toEqual([404, "not_found_error"]);
    const path = await post("/v1/messages/nope", {});
    expect([path.status, path.json.type, path.json.error.type]).toEqual([404, "error", "not_found_error"]);
  });

  it("answers rate_limit_error 429 with Retry-After, and billing_error 402 past the budget", async () => {
    const limited = await ctx.api.tenant("anthropic-limited", "tenant", { rateLimitRpm: 1 });
    const body = { ...hello, model: "gpt-4o-mini" };
    expect((await post("/v1/messages", body, { "x-api-key": limited.key })).status).toBe(200);
    const second = await post("/v1/messages", body, { "x-api-key": limited.key });
    expect([second.status, second.json.error.type]).toEqual([429, "rate_limit_error"]);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);

    const poor = await ctx.api.tenant("anthropic-poor", "tenant", { dailyBudgetMicros: 3_000 });
    const costly = { ...body, model: "claude-opus-4-1", max_tokens: 32_000 };
    const broke = await post("/v1/messages", costly, { "x-api-key": poor.key });
    expect([broke.status, broke.json.type, broke.json.error.type]).toEqual([402, "error", "billing_error"]);
    const streamed = await post("/v1/messages", { ...costly, stream: true }, { "x-api-key": poor.key });
    expect([streamed.status, streamed.json.error.type]).toEqual([402, "billing_error"]);
  });
});
