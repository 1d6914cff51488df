import Anthropic, { BadRequestError } from "@anthropic-ai/sdk";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;
let client: Anthropic;

beforeAll(async () => {
  api = await startTestApi(t);
  client = new Anthropic({ apiKey: api.a.key, baseURL: api.url, maxRetries: 0 });
});
afterAll(() => api.close());

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
  },
};

/** A raw request, to read the status, headers and Anthropic's error body. */
async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: {
      "x-api-key": api.a.key,
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as {
    type: string;
    error: { type: string; message: string; details?: { issues?: { path: string }[] } };
    request_id: string;
  };
  return {
    status: response.status,
    json,
    headers: response.headers,
    paths: (json.error?.details?.issues ?? []).map((i) => i.path),
  };
}

/** A 1×1 PNG. */
const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const imageTurn = (source: Record<string, string>) => ({
  role: "user" as const,
  content: [
    { type: "text" as const, text: "What is in this picture?" },
    { type: "image" as const, source },
  ],
});

const hello = { max_tokens: 64, messages: [{ role: "user" as const, content: "Say hello to Oslo" }] };

describe("POST /v1/messages through the Anthropic SDK", () => {
  it.each(["claude-haiku-4-5", "gpt-4o-mini"])("answers a message from %s", async (model) => {
    const message = await client.messages.create({ model, ...hello });
    expect(message).toMatchObject({ type: "message", role: "assistant", model, stop_sequence: null });
    expect(message.id).toMatch(/^msg_/);
    expect(message.stop_reason).toMatch(/^(end_turn|max_tokens)$/);
    const text = message.content[0];
    expect(text?.type === "text" && text.text.length).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message._request_id).toBeTruthy();
  });

  it.each(["claude-haiku-4-5", "gpt-4o-mini"])("streams %s in Anthropic's event sequence", async (model) => {
    const body = { model, system: "Be brief.", ...hello };
    const message = await client.messages.stream(body).finalMessage();
    const blocking = await client.messages.create(body);
    expect(message.content).toEqual(blocking.content);
    expect(message.stop_reason).toBe(blocking.stop_reason);
    expect(message.usage.output_tokens).toBe(blocking.usage.output_tokens);
    expect(message.usage.input_tokens).toBe(blocking.usage.input_tokens);

    const response = await fetch(`${api.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": api.a.key, "content-type": "application/json" },
      body: JSON.stringify({ ...body, stream: true }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const kinds = [...(await response.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds.slice(0, 3)).toEqual(["message_start", "content_block_start", "ping"]);
    expect(kinds.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(new Set(kinds.slice(3, -3))).toEqual(new Set(["content_block_delta"]));
  });

  it("ends a stream the provider cuts with event: error, which the SDK raises", async () => {
    api.simulator.setFaults({ cut: 1 });
    try {
      const response = await fetch(`${api.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": api.a.key, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", stream: true, ...hello }),
      });
      const text = await response.text();
      const kinds = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
      expect(kinds[0]).toBe("message_start");
      expect(kinds.at(-1)).toBe("error");
      expect(kinds).not.toContain("message_stop");
      const last = JSON.parse(text.trim().split("\n").at(-1)?.slice("data: ".length) ?? "{}");
      expect(last).toMatchObject({ type: "error", error: { type: "api_error" } });
      expect(last.request_id).toBe(response.headers.get("x-request-id"));

      const stream = client.messages.stream({ model: "gpt-4o-mini", ...hello, system: "Cut again" });
      await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    } finally {
      api.simulator.setFaults({});
    }
  });

  it("answers through a cascade named as the model, blocking and streamed", async () => {
    const message = await client.messages.create({ model: "cascade:simulator", ...hello });
    expect(message.model).toBe("cascade:simulator");
    const sluice = (message as unknown as { sluice: { model_used: string; requested_model: string } }).sluice;
    expect(["sim-small", "sim-large"]).toContain(sluice.model_used);
    expect(sluice.requested_model).toBe("cascade:simulator");
    const streamed = await client.messages.stream({ model: "cascade:simulator", ...hello }).finalMessage();
    expect(streamed.model).toBe("cascade:simulator");
    expect(streamed.content[0]?.type).toBe("text");
  });

  it.each([
    ["gpt-4o-mini", "blocking"],
    ["claude-haiku-4-5", "blocking"],
    ["gpt-4o-mini", "streamed"],
    ["claude-haiku-4-5", "streamed"],
    ["cascade:simulator", "blocking"],
    ["cascade:simulator", "streamed"],
  ])("runs a tool loop on %s (%s): tool_use, then tool_result, then text", async (model, how) => {
    const ask = (body: Anthropic.MessageCreateParamsNonStreaming) =>
      how === "streamed" ? client.messages.stream(body).finalMessage() : client.messages.create(body);
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Weather in Oslo?" }];
    const first = await ask({ model, max_tokens: 200, messages, tools: [weather] });
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((b) => b.type === "tool_use");
    if (call?.type !== "tool_use") throw new Error("expected a tool_use block");
    expect(call.name).toBe("get_weather");
    expect(Object.keys(call.input as object).sort()).toEqual(["city", "unit"]);

    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: '{"temp_c": 3}' }] },
    );
    const answer = await ask({ model, max_tokens: 200, messages, tools: [weather] });
    expect(answer.stop_reason).toBe("end_turn");
    expect(answer.content.map((b) => b.type)).toEqual(["text"]);
  });

  it("calls the tool tool_choice names", async () => {
    const message = await client.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 200,
      messages: [{ role: "user", content: "Anything" }],
      tools: [weather, { name: "get_time", input_schema: { type: "object" } }],
      tool_choice: { type: "tool", name: "get_time", disable_parallel_tool_use: true },
    });
    const call = message.content.find((b) => b.type === "tool_use");
    expect(call?.type === "tool_use" && [call.name, call.input]).toEqual(["get_time", {}]);
  });

  it.each(["gpt-4o-mini", "claude-haiku-4-5"])("reads an image (base64 and https) with %s", async (model) => {
    const plain = [{ role: "user" as const, content: "What is in this picture?" }];
    const counted = await client.messages.countTokens({ model, messages: plain });
    const answered = await client.messages.create({ model, max_tokens: 64, messages: plain });
    for (const source of [
      { type: "base64", media_type: "image/png", data: PNG_1X1 },
      { type: "url", url: "https://example.com/cat.png" },
    ] as const) {
      const messages = [imageTurn(source)] as Anthropic.MessageParam[];
      expect((await client.messages.countTokens({ model, messages })).input_tokens).toBeGreaterThan(
        counted.input_tokens,
      );
      const message = await client.messages.create({ model, max_tokens: 64, messages });
      expect(message.content[0]?.type).toBe("text");
      // The model was sent the image: its own count of the prompt grew.
      expect(message.usage.input_tokens).toBeGreaterThan(answered.usage.input_tokens);
    }
  });

  it("counts the tokens of a conversation, system and tools included", async () => {
    const base = { model: "claude-haiku-4-5", messages: hello.messages };
    const plain = await client.messages.countTokens(base);
    const withSystem = await client.messages.countTokens({
      ...base,
      system: "You answer in French, briefly.",
    });
    const withTools = await client.messages.countTokens({ ...base, tools: [weather] });
    expect(plain.input_tokens).toBeGreaterThan(0);
    expect(withSystem.input_tokens).toBeGreaterThan(plain.input_tokens);
    expect(withTools.input_tokens).toBeGreaterThan(plain.input_tokens);
    const openai = await client.messages.countTokens({ ...base, model: "gpt-4o-mini" });
    // Anthropic counts are estimated above o200k's (ANTHROPIC_TOKEN_PERCENT).
    expect(openai.input_tokens).toBeLessThan(plain.input_tokens);
    const cascade = await client.messages.countTokens({ ...base, model: "cascade:simulator" });
    expect(cascade.input_tokens).toBeGreaterThan(0);
  });

  it("accepts the key as x-api-key or a bearer token, and refuses no key with authentication_error", async () => {
    const viaHeader = await post("/v1/messages/count_tokens", {
      model: "gpt-4o-mini",
      messages: hello.messages,
    });
    expect(viaHeader.status).toBe(200);
    const bearer = await post(
      "/v1/messages/count_tokens",
      { model: "gpt-4o-mini", messages: hello.messages },
      { "x-api-key": "", authorization: `Bearer ${api.a.key}` },
    );
    expect(bearer.status).toBe(200);
    const none = await post("/v1/messages", { model: "gpt-4o-mini", ...hello }, { "x-api-key": "" });
    expect([none.status, none.json.type, none.json.error.type]).toEqual([
      401,
      "error",
      "authentication_error",
    ]);
  });
});

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
      "an image inside a tool_result",
      {
        ...hello,
        model: "gpt-4o-mini",
        messages: [
          ...toolTurns,
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: "toolu_1",
                content: [
                  { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
                ],
              },
            ],
          },
        ],
      },
      "messages.2.content.0.content.0",
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
    const refused = await client.messages
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
    const limited = await api.tenant("anthropic-limited", "tenant", { rateLimitRpm: 1 });
    const body = { ...hello, model: "gpt-4o-mini" };
    expect((await post("/v1/messages", body, { "x-api-key": limited.key })).status).toBe(200);
    const second = await post("/v1/messages", body, { "x-api-key": limited.key });
    expect([second.status, second.json.error.type]).toEqual([429, "rate_limit_error"]);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);

    const poor = await api.tenant("anthropic-poor", "tenant", { dailyBudgetMicros: 3_000 });
    const costly = { ...body, model: "claude-opus-4-1", max_tokens: 32_000 };
    const broke = await post("/v1/messages", costly, { "x-api-key": poor.key });
    expect([broke.status, broke.json.type, broke.json.error.type]).toEqual([402, "error", "billing_error"]);
    const streamed = await post("/v1/messages", { ...costly, stream: true }, { "x-api-key": poor.key });
    expect([streamed.status, streamed.json.error.type]).toEqual([402, "billing_error"]);
  });
});
