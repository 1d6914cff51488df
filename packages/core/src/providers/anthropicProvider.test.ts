import { type RunningSimulator, startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createAnthropicProvider } from "./anthropicProvider.ts";
import type {
  ChatStreamEvent,
  Provider,
  ProviderChatRequest,
  ProviderMessage,
  ProviderTool,
} from "./provider.ts";

let sim: RunningSimulator;
let provider: Provider;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11 });
  provider = createAnthropicProvider({ name: "sim-anthropic", apiKey: "k", baseUrl: sim.url });
});
afterAll(() => sim.close());

const signal = () => new AbortController().signal;
const weather: ProviderTool = {
  name: "get_weather",
  description: "Current weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 5 } },
    required: ["city", "days"],
  },
};
const question: ProviderMessage = { role: "user", content: "Weather in Oslo?" };
const ask: ProviderChatRequest = {
  model: "claude-haiku-4-5",
  messages: [{ role: "system", content: "Be brief." }, question],
  tools: [weather],
  maxTokens: 200,
};

async function collect(request: ProviderChatRequest): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of provider.stream(request, { signal: signal() })) events.push(event);
  return events;
}

describe("Anthropic provider over the wire (real SDK, simulator)", () => {
  it("reads a tool_use answer as a tool call with JSON arguments and finish reason tool_calls", async () => {
    const r = await provider.complete(ask, { signal: signal() });
    expect([r.finishReason, r.content]).toEqual(["tool_calls", ""]);
    const call = r.toolCalls?.[0];
    expect(call?.name).toBe("get_weather");
    expect(Object.keys(JSON.parse(call?.arguments ?? "")).sort()).toEqual(["city", "days"]);
    expect(r.choices[0]?.toolCalls).toEqual(r.toolCalls);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it("finishes a loop in text after two tool results sent as one user turn", async () => {
    const first = await provider.complete(ask, { signal: signal() });
    const call = first.toolCalls?.[0];
    if (!call) throw new Error("expected a tool call");
    const second = { ...call, id: `${call.id}_b`, arguments: '{"city":"Bergen","days":2}' };
    // The simulator refuses results that do not answer the calls of the turn just before them.
    const r = await provider.complete(
      {
        ...ask,
        messages: [
          ...ask.messages,
          { role: "assistant", content: "", toolCalls: [call, second] },
          { role: "tool", content: '{"temp_c":3}', toolCallId: call.id },
          { role: "tool", content: '{"temp_c":5}', toolCallId: second.id },
        ],
      },
      { signal: signal() },
    );
    expect(r.finishReason).toBe("stop");
    expect(r.content.length).toBeGreaterThan(0);
    expect(r.toolCalls).toBeUndefined();
  });

  it("streams a tool call as a first piece with id and name, then argument pieces", async () => {
    const whole = await provider.complete(ask, { signal: signal() });
    const events = await collect(ask);
    const pieces = events.filter((e) => e.type === "tool_call");
    expect(pieces[0]).toEqual({
      type: "tool_call",
      index: 0,
      id: expect.stringMatching(/^toolu_/),
      name: "get_weather",
      arguments: "",
    });
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.slice(1).every((p) => p.id === undefined && p.index === 0)).toBe(true);
    expect(pieces.map((p) => p.arguments).join("")).toBe(whole.toolCalls?.[0]?.arguments);
    const done = events.at(-1);
    expect(done?.type === "done" && [done.finishReason, done.usage.outputTokens > 0]).toEqual([
      "tool_calls",
      true,
    ]);
  });

  it("sends image parts the simulator counts, and leaves out temperature the API refuses", async () => {
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
    header.writeUInt32BE(13, 8);
    header.write("IHDR", 12, "latin1");
    header.writeUInt32BE(1500, 16);
    header.writeUInt32BE(300, 20);
    const text: ProviderChatRequest = {
      model: "claude-haiku-4-5",
      messages: [{ role: "user", content: "Describe it" }],
      maxTokens: 20,
      temperature: 0.3,
      topP: 0.5,
    };
    const withImage: ProviderChatRequest = {
      ...text,
      messages: [
        {
          role: "user",
          content: "Describe it",
          parts: [
            { type: "text", text: "Describe it" },
            {
              type: "image",
              source: { kind: "base64", mediaType: "image/png", data: header.toString("base64") },
            },
          ],
        },
      ],
    };
    const plain = await provider.complete(text, { signal: signal() });
    const seen = await provider.complete(withImage, { signal: signal() });
    expect(seen.usage.inputTokens - plain.usage.inputTokens).toBe((1500 * 300) / 750);
  });

  it("refuses tool-call arguments that are not a JSON object before calling out", async () => {
    const error = await provider
      .complete(
        {
          ...ask,
          messages: [
            question,
            {
              role: "assistant",
              content: "",
              toolCalls: [{ id: "c1", name: "get_weather", arguments: "[1]" }],
            },
            { role: "tool", content: "3", toolCallId: "c1" },
          ],
        },
        { signal: signal() },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe("validation_error");
    expect((error as SluiceError).details?.issues).toEqual([
      {
        path: "messages.1.tool_calls.0.function.arguments",
        message: "must be a JSON object; Anthropic models take tool input as an object",
      },
    ]);
  });
});
