import { type RunningSimulator, startSimulator } from "@sluice/simulator";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAiProvider } from "./openaiProvider.ts";
import { readChunk } from "./openaiStreamChunks.ts";
import type { ChatStreamEvent, Provider, ProviderChatRequest } from "./provider.ts";

let sim: RunningSimulator;
let provider: Provider;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5 });
  provider = createOpenAiProvider({ name: "sim", apiKey: "k", baseUrl: `${sim.url}/v1` });
});
afterAll(async () => {
  await provider.close?.();
  await sim.close();
});

const weather = {
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
  },
};

async function collect(request: ProviderChatRequest): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of provider.stream(request, { signal: new AbortController().signal })) {
    events.push(event);
  }
  return events;
}

describe("OpenAI provider streams", () => {
  it("reads streamed tool calls into tool_call events and finishes with tool_calls", async () => {
    const request: ProviderChatRequest = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [weather],
    };
    const events = await collect(request);
    const calls = events.flatMap((e) => (e.type === "tool_call" ? [e] : []));
    const [opening, ...rest] = calls;
    expect(opening).toMatchObject({ index: 0, name: "get_weather", arguments: "" });
    expect(opening?.id).toMatch(/^call/);
    expect(rest.length).toBeGreaterThan(1);
    for (const piece of rest) expect([piece.index, piece.id, piece.name]).toEqual([0, undefined, undefined]);
    const args = JSON.parse(rest.map((p) => p.arguments).join(""));
    expect(Object.keys(args).sort()).toEqual(["city", "unit"]);
    const whole = await provider.complete(request, { signal: new AbortController().signal });
    expect(rest.map((p) => p.arguments).join("")).toBe(whole.toolCalls?.[0]?.arguments);
    expect(events.some((e) => e.type === "delta")).toBe(false);
    const done = events.at(-1);
    expect(done?.type === "done" && [done.finishReason, done.usage]).toEqual(["tool_calls", whole.usage]);
  });

  it("carries each text delta's token logprobs when they are asked for", async () => {
    const request: ProviderChatRequest = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say something" }],
      logprobs: true,
      topLogprobs: 1,
    };
    const deltas = (await collect(request)).flatMap((e) => (e.type === "delta" ? [e] : []));
    expect(deltas.length).toBeGreaterThan(0);
    for (const delta of deltas) {
      expect(delta.logprobs?.map((t) => t.token).join("")).toBe(delta.text);
      for (const t of delta.logprobs ?? []) expect(t.top).toHaveLength(1);
    }
    const plain = await collect({ ...request, logprobs: false });
    expect(plain.some((e) => e.type === "delta" && e.logprobs !== undefined)).toBe(false);
  });
});

describe("OpenAI provider streams of several choices", () => {
  it("marks each choice's text with its index and ends with every choice's finish reason", async () => {
    const request: ProviderChatRequest = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Name a colour" }],
      n: 2,
    };
    const events = await collect(request);
    const texts = ["", ""];
    for (const e of events) if (e.type === "delta") texts[e.choice ?? 0] += e.text;
    const whole = await provider.complete(request, { signal: new AbortController().signal });
    expect(texts).toEqual(whole.choices.map((c) => c.content));
    expect(events.some((e) => e.type === "delta" && e.choice === 0)).toBe(false);
    const done = events.at(-1);
    expect(done?.type === "done" && done.finishReasons).toEqual(["stop", "stop"]);
  });
});

describe("readChunk", () => {
  const chunk = (choice: Partial<ChatCompletionChunk.Choice>): ChatCompletionChunk => ({
    id: "c",
    object: "chat.completion.chunk",
    created: 0,
    model: "m",
    choices: [{ index: 0, delta: {}, finish_reason: null, ...choice }],
  });

  it("numbers whole calls that compatible servers send without an index by their position", () => {
    const reading = readChunk(
      chunk({
        delta: {
          tool_calls: [
            { id: "a", type: "function", function: { name: "f", arguments: "{}" } },
            { id: "b", type: "function", function: { name: "g", arguments: '{"x":1}' } },
          ] as ChatCompletionChunk.Choice.Delta.ToolCall[],
        },
        finish_reason: "tool_calls",
      }),
    );
    expect(reading).toEqual({
      events: [
        { type: "tool_call", index: 0, id: "a", name: "f", arguments: "{}" },
        { type: "tool_call", index: 1, id: "b", name: "g", arguments: '{"x":1}' },
      ],
      finished: [{ choice: 0, finishReason: "tool_calls" }],
    });
  });

  it("reads a provider's unknown finish reason as a finished answer", () => {
    expect(readChunk(chunk({ finish_reason: "eos" as never })).finished).toEqual([
      { choice: 0, finishReason: "stop" },
    ]);
    expect(readChunk({ ...chunk({}), choices: [] })).toEqual({ events: [], finished: [] });
  });
});
