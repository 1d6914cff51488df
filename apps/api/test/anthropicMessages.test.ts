import Anthropic from "@anthropic-ai/sdk";
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

describe("GET /v1/models through the Anthropic SDK", () => {
  it("lists models and cascades in Anthropic's shape, with the key in x-api-key", async () => {
    const ids: string[] = [];
    for await (const model of ctx.client.models.list()) {
      expect(model.type).toBe("model");
      ids.push(model.id);
    }
    expect(ids).toEqual(expect.arrayContaining(["claude-haiku-4-5", "gpt-4o-mini", "cascade:simulator"]));
    const anonymous = await fetch(`${ctx.api.url}/v1/models`, {
      headers: { "anthropic-version": "2023-06-01" },
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("POST /v1/messages through the Anthropic SDK", () => {
  it.each(["claude-haiku-4-5", "gpt-4o-mini"])("answers a message from %s", async (model) => {
    const message = await ctx.client.messages.create({ model, ...hello });
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
    const message = await ctx.client.messages.stream(body).finalMessage();
    const blocking = await ctx.client.messages.create(body);
    expect(message.content).toEqual(blocking.content);
    expect(message.stop_reason).toBe(blocking.stop_reason);
    expect(message.usage.output_tokens).toBe(blocking.usage.output_tokens);
    expect(message.usage.input_tokens).toBe(blocking.usage.input_tokens);

    const response = await fetch(`${ctx.api.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": ctx.api.a.key, "content-type": "application/json" },
      body: JSON.stringify({ ...body, stream: true }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const kinds = [...(await response.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds.slice(0, 3)).toEqual(["message_start", "content_block_start", "ping"]);
    expect(kinds.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(new Set(kinds.slice(3, -3))).toEqual(new Set(["content_block_delta"]));
  });

  it("names the stop sequence that ended a Claude answer, blocking and streamed", async () => {
    const model = "claude-haiku-4-5";
    const base = await ctx.client.messages.create({ model, ...hello, max_tokens: 200 });
    const text = base.content[0]?.type === "text" ? base.content[0].text : "";
    const word = text.split(" ")[3];
    expect(word).toBeTruthy();
    const body = { model, ...hello, max_tokens: 200, stop_sequences: [word!] };
    const message = await ctx.client.messages.create(body);
    expect([message.stop_reason, message.stop_sequence]).toEqual(["stop_sequence", word]);
    const streamed = await ctx.client.messages.stream(body).finalMessage();
    expect([streamed.stop_reason, streamed.stop_sequence]).toEqual(["stop_sequence", word]);
    // OpenAI's finish reason does not say which stop sequence matched: the answer ends as end_turn.
    const translated = await ctx.client.messages.create({ ...body, model: "gpt-4o-mini" });
    expect(translated.stop_sequence).toBeNull();
  });

  it("ends a stream the provider cuts with event: error, which the SDK raises", async () => {
    ctx.api.simulator.setFaults({ cut: 1 });
    try {
      const response = await fetch(`${ctx.api.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": ctx.api.a.key, "content-type": "application/json" },
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

      const stream = ctx.client.messages.stream({ model: "gpt-4o-mini", ...hello, system: "Cut again" });
      await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    } finally {
      ctx.api.simulator.setFaults({});
    }
  });

  it("answers through a cascade named as the model, blocking and streamed", async () => {
    const message = await ctx.client.messages.create({ model: "cascade:simulator", ...hello });
    expect(message.model).toBe("cascade:simulator");
    const sluice = (message as unknown as { sluice: { model_used: string; requested_model: string } }).sluice;
    expect(["sim-small", "sim-large"]).toContain(sluice.model_used);
    expect(sluice.requested_model).toBe("cascade:simulator");
    const streamed = await ctx.client.messages
      .stream({ model: "cascade:simulator", ...hello })
      .finalMessage();
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
      how === "streamed" ? ctx.client.messages.stream(body).finalMessage() : ctx.client.messages.create(body);
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

  it.each(["gpt-4o-mini", "claude-haiku-4-5"])("reads an image a tool returned, with %s", async (model) => {
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Show me the radar for Oslo" }];
    const first = await ctx.client.messages.create({ model, max_tokens: 200, messages, tools: [weather] });
    const call = first.content.find((b) => b.type === "tool_use");
    if (call?.type !== "tool_use") throw new Error("expected a tool_use block");
    const answerWith = (content: Exclude<Anthropic.ToolResultBlockParam["content"], undefined>) =>
      ctx.client.messages.create({
        model,
        max_tokens: 200,
        tools: [weather],
        tool_choice: { type: "none" },
        messages: [
          ...messages,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content }] },
        ],
      });
    const image = { type: "base64" as const, media_type: "image/png" as const, data: PNG_1X1 };
    const withImage = await answerWith([
      { type: "text", text: "Radar:" },
      { type: "image", source: image },
    ]);
    const textOnly = await answerWith([{ type: "text", text: "Radar:" }]);
    expect(withImage.stop_reason).toBe("end_turn");
    // The image reached the model and was counted, not dropped.
    expect(withImage.usage.input_tokens).toBeGreaterThan(textOnly.usage.input_tokens);
  });

  it.each(["gpt-4o-mini", "claude-haiku-4-5"])("reads a PDF document block with %s", async (model) => {
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF").toString("base64");
    const question = { type: "text" as const, text: "What does the document say?" };
    const document = {
      type: "document" as const,
      source: { type: "base64" as const, media_type: "application/pdf" as const, data: pdf },
      title: "note.pdf",
    };
    const withPdf = await ctx.client.messages.create({
      model,
      max_tokens: 64,
      messages: [{ role: "user", content: [document, question] }],
    });
    expect(withPdf.content[0]?.type).toBe("text");
    // Sluice counts the document (the simulator does not read PDFs, so its usage cannot show it).
    const count = (content: Anthropic.ContentBlockParam[]) =>
      ctx.client.messages.countTokens({ model, messages: [{ role: "user", content }] });
    const [withDocument, without] = await Promise.all([count([document, question]), count([question])]);
    expect(withDocument.input_tokens).toBeGreaterThan(without.input_tokens);
  });

  it("calls the tool tool_choice names", async () => {
    const message = await ctx.client.messages.create({
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
    const counted = await ctx.client.messages.countTokens({ model, messages: plain });
    const answered = await ctx.client.messages.create({ model, max_tokens: 64, messages: plain });
    for (const source of [
      { type: "base64", media_type: "image/png", data: PNG_1X1 },
      { type: "url", url: "https://example.com/cat.png" },
    ] as const) {
      const messages = [imageTurn(source)] as Anthropic.MessageParam[];
      expect((await ctx.client.messages.countTokens({ model, messages })).input_tokens).toBeGreaterThan(
        counted.input_tokens,
      );
      const message = await ctx.client.messages.create({ model, max_tokens: 64, messages });
      expect(message.content[0]?.type).toBe("text");
      // The model was sent the image: its own count of the prompt grew.
      expect(message.usage.input_tokens).toBeGreaterThan(answered.usage.input_tokens);
    }
  });

  it("answers JSON matching output_config.format's schema", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer" } },
      required: ["city", "population"],
      additionalProperties: false,
    };
    const message = await ctx.client.messages.create({
      model: "gpt-4o-mini",
      ...hello,
      output_config: { format: { type: "json_schema", schema } },
    });
    const text = message.content[0];
    if (text?.type !== "text") throw new Error("expected a text block");
    const parsed = JSON.parse(text.text) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(["city", "population"]);
    expect(Number.isInteger(parsed.population)).toBe(true);
  });

  it("counts the tokens of a conversation, system and tools included", async () => {
    const base = { model: "claude-haiku-4-5", messages: hello.messages };
    const plain = await ctx.client.messages.countTokens(base);
    const withSystem = await ctx.client.messages.countTokens({
      ...base,
      system: "You answer in French, briefly.",
    });
    const withTools = await ctx.client.messages.countTokens({ ...base, tools: [weather] });
    expect(plain.input_tokens).toBeGreaterThan(0);
    expect(withSystem.input_tokens).toBeGreaterThan(plain.input_tokens);
    expect(withTools.input_tokens).toBeGreaterThan(plain.input_tokens);
    const openai = await ctx.client.messages.countTokens({ ...base, model: "gpt-4o-mini" });
    // Anthropic counts are estimated above o200k's (ANTHROPIC_TOKEN_PERCENT).
    expect(openai.input_tokens).toBeLessThan(plain.input_tokens);
    const cascade = await ctx.client.messages.countTokens({ ...base, model: "cascade:simulator" });
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
      { "x-api-key": "", authorization: `Bearer ${ctx.api.a.key}` },
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
