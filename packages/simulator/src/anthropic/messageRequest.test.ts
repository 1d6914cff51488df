import Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParamsNonStreaming, Tool } from "@anthropic-ai/sdk/resources/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";
import { imageTokensForSize, MAX_IMAGE_TOKENS } from "./imageTokens.ts";

let sim: RunningSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7 });
  client = new Anthropic({ apiKey: "sk-ant-test", baseURL: sim.url, maxRetries: 0 });
});
afterAll(() => sim.close());

const weather: Tool = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
  },
};
const clock: Tool = { name: "get_time", input_schema: { type: "object", properties: {} } };
const ask: MessageCreateParamsNonStreaming = {
  model: "claude-haiku-4-5",
  max_tokens: 200,
  tools: [weather, clock],
  messages: [{ role: "user", content: "Weather in Oslo?" }],
};

/** The bytes of a PNG header declaring this size (all the simulator reads of an image). */
function pngOf(width: number, height: number): string {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "latin1");
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  return header.toString("base64");
}

async function status(params: unknown): Promise<{ status: number; message: string }> {
  try {
    await client.messages.create(params as MessageCreateParamsNonStreaming);
  } catch (error) {
    if (error instanceof Anthropic.APIError)
      return {
        status: error.status ?? 0,
        message: String((error.error as { error?: { message?: string } })?.error?.message),
      };
    throw error;
  }
  return { status: 200, message: "" };
}

describe("Anthropic tool use", () => {
  it("answers a fresh user turn with one tool_use block whose input fits the tool's schema", async () => {
    const m = await client.messages.create(ask);
    expect(m.stop_reason).toBe("tool_use");
    const block = m.content[0];
    if (block?.type !== "tool_use") throw new Error("expected a tool_use block");
    expect(block.id).toMatch(/^toolu_/);
    expect(block.name).toBe("get_weather");
    expect(Object.keys(block.input as object).sort()).toEqual(["city", "unit"]);
    expect(["c", "f"]).toContain((block.input as { unit: string }).unit);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    const again = await client.messages.create(ask);
    expect(again.content[0]).toMatchObject({ name: block.name, input: block.input });
  });

  it("answers in text once the tool result is back", async () => {
    const first = await client.messages.create(ask);
    const call = first.content[0];
    if (call?.type !== "tool_use") throw new Error("expected a tool_use block");
    const m = await client.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: '{"temp_c":3}' }] },
      ],
    });
    expect(m.stop_reason).toBe("end_turn");
    expect(m.content[0]?.type === "text" && m.content[0].text.length).toBeGreaterThan(0);
  });

  it("follows tool_choice: none answers in text, tool names the call", async () => {
    const none = await client.messages.create({ ...ask, tool_choice: { type: "none" } });
    expect([none.stop_reason, none.content[0]?.type]).toEqual(["end_turn", "text"]);
    const named = await client.messages.create({ ...ask, tool_choice: { type: "tool", name: "get_time" } });
    expect(named.content[0]).toMatchObject({ type: "tool_use", name: "get_time", input: {} });
  });

  it("streams tool_use as Anthropic does: a block start with empty input, then input_json_delta pieces", async () => {
    const whole = await client.messages.create(ask);
    const raw = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    const events = [...(await raw.text()).matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({
      event: m[1],
      data: JSON.parse(m[2] ?? "{}"),
    }));
    const names = events.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(["message_start", "content_block_start", "ping"]);
    expect(names.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const start = events[1]?.data.content_block;
    expect(start).toEqual({ type: "tool_use", id: start.id, name: "get_weather", input: {} });
    const pieces = events
      .filter((e) => e.event === "content_block_delta")
      .map((e) => e.data.delta as { type: string; partial_json: string });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((p) => p.type === "input_json_delta")).toBe(true);
    const block = whole.content[0];
    expect(JSON.parse(pieces.map((p) => p.partial_json).join(""))).toEqual(
      block?.type === "tool_use" ? block.input : undefined,
    );
    expect(events.at(-2)?.data.delta.stop_reason).toBe("tool_use");
    const final = await client.messages.stream(ask).finalMessage();
    expect(final.content[0]).toMatchObject({
      type: "tool_use",
      name: "get_weather",
      input: block?.type === "tool_use" ? block.input : {},
    });
  });

  it.each([
    [
      "tool blocks without declared tools",
      {
        ...ask,
        tools: undefined,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_time", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "9" }] },
        ],
      },
      "must define tools",
    ],
    [
      "a tool_use not answered in the next turn",
      {
        ...ask,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_time", input: {} }] },
          { role: "user", content: "and?" },
        ],
      },
      "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1",
    ],
    [
      "a tool_result after text in its turn",
      {
        ...ask,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_time", input: {} }] },
          {
            role: "user",
            content: [
              { type: "text", text: "here" },
              { type: "tool_result", tool_use_id: "toolu_1", content: "9" },
            ],
          },
        ],
      },
      "messages.2.content.1: `tool_result` blocks must come before",
    ],
    [
      "an image of a type Anthropic does not read",
      {
        ...ask,
        messages: [
          {
            role: "user",
            content: [{ type: "image", source: { type: "base64", media_type: "image/bmp", data: "Qk0=" } }],
          },
        ],
      },
      "messages.0.content.0.source.media_type",
    ],
    [
      "temperature, which API version 2026-10-21 removed",
      { ...ask, temperature: 0.5 },
      "temperature: Extra inputs",
    ],
  ])("answers 400 for %s", async (_name, params, message) => {
    const r = await status(params);
    expect(r.status).toBe(400);
    expect(r.message).toContain(message);
  });
});

describe("Anthropic image blocks", () => {
  const text = { type: "text" as const, text: "What is in this picture?" };
  const tokensWith = async (image?: Anthropic.ImageBlockParam) =>
    (
      await client.messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 20,
        messages: [{ role: "user", content: image ? [text, image] : [text] }],
      })
    ).usage.input_tokens;

  it("counts a base64 image by Anthropic's width × height / 750 rule", async () => {
    const base = await tokensWith();
    const small = await tokensWith({
      type: "image",
      source: { type: "base64", media_type: "image/png", data: pngOf(750, 100) },
    });
    expect(small - base).toBe(100);
    const huge = await tokensWith({
      type: "image",
      source: { type: "base64", media_type: "image/png", data: pngOf(4000, 3000) },
    });
    expect(huge - base).toBe(MAX_IMAGE_TOKENS);
  });

  it("counts a URL image, whose size it never fetches, at the rule's most", async () => {
    const base = await tokensWith();
    const url = await tokensWith({
      type: "image",
      source: { type: "url", url: "https://example.com/cat.png" },
    });
    expect(url - base).toBe(MAX_IMAGE_TOKENS);
  });

  it("scales a long edge past 1568 px down before counting", () => {
    expect(imageTokensForSize(3136, 200)).toBe(Math.ceil((1568 * 100) / 750));
    expect(imageTokensForSize(200, 200)).toBe(54);
  });
});
