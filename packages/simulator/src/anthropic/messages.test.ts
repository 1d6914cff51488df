import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5 });
  client = new Anthropic({ apiKey: "sk-ant-test", baseURL: sim.url, maxRetries: 0 });
});
afterAll(() => sim.close());

describe("Anthropic messages", () => {
  it("answers non-streaming requests with usage and stop reason", async () => {
    const m = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      system: "Be brief.",
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(m.type).toBe("message");
    expect(m.content[0]?.type).toBe("text");
    expect(m.stop_reason).toBe("end_turn");
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    const short = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 2,
      messages: [{ role: "user", content: "Hello" }],
    });
    expect([short.stop_reason, short.usage.output_tokens]).toEqual(["max_tokens", 2]);
  });

  it("streams the full event sequence and the same text", async () => {
    const params = {
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      messages: [{ role: "user" as const, content: "Stream it" }],
    };
    const whole = await client.messages.create(params);
    const stream = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    // The SDK consumes pings itself; the raw wire below shows them.
    expect(types.slice(0, 3)).toEqual(["message_start", "content_block_start", "content_block_delta"]);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(text).toBe(whole.content[0]?.type === "text" ? whole.content[0].text : "");
    const raw = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify({ ...params, stream: true }),
    });
    const events = [...(await raw.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.slice(0, 3)).toEqual(["message_start", "content_block_start", "ping"]);
  });

  it("stops at a stop sequence and reports it", async () => {
    const base = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "abc" }],
    });
    const text = base.content[0]?.type === "text" ? base.content[0].text : "";
    const word = text.split(" ")[3] ?? "";
    const m = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      stop_sequences: [word],
      messages: [{ role: "user", content: "abc" }],
    });
    expect([m.stop_reason, m.stop_sequence]).toEqual(["stop_sequence", word]);
  });

  it("accepts Authorization: Bearer and refuses a missing key in Anthropic's format", async () => {
    const bearer = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-haiku-4-5",
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(bearer.status).toBe(200);
    const none = await fetch(`${sim.url}/v1/messages`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  it("requires max_tokens", async () => {
    await expect(
      client.messages.create({
        model: "claude-haiku-4-5",
        messages: [{ role: "user", content: "x" }],
      } as never),
    ).rejects.toMatchObject({ status: 400 });
  });

  it("breaks a weak model's tool call when the request sends x-sim-invalid-tool-calls", async () => {
    const ask = async (headers: Record<string, string>) => {
      const m = await client.messages.create(
        {
          model: "sim-small",
          max_tokens: 200,
          messages: [{ role: "user", content: "Weather in Oslo?" }],
          tools: [
            {
              name: "get_weather",
              input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            },
          ],
          tool_choice: { type: "any" },
        },
        { headers },
      );
      const call = m.content.find((b) => b.type === "tool_use");
      return typeof (call?.type === "tool_use" && (call.input as { city?: unknown }).city) === "string";
    };
    expect(await ask({})).toBe(true);
    expect(await ask({ "x-sim-invalid-tool-calls": "1" })).toBe(false);
  });
});
