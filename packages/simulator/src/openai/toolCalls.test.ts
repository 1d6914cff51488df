import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

const weather: OpenAI.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
      required: ["city", "unit"],
    },
  },
};
const time: OpenAI.ChatCompletionTool = { type: "function", function: { name: "get_time" } };
const ask = [{ role: "user" as const, content: "What is the weather in Oslo?" }];

describe("simulated tool calls", () => {
  it("calls the first tool with arguments valid for its schema, the same every time", async () => {
    const create = () =>
      client.chat.completions.create({ model: "gpt-4o-mini", messages: ask, tools: [weather, time] });
    const [first, again] = [await create(), await create()];
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    const args = JSON.parse(call?.type === "function" ? call.function.arguments : "null");
    expect(Object.keys(args).sort()).toEqual(["city", "unit"]);
    expect(["c", "f"]).toContain(args.unit);
    const repeat = again.choices[0]?.message.tool_calls?.[0];
    expect(repeat?.type === "function" && repeat.function.arguments).toBe(
      call?.type === "function" && call.function.arguments,
    );
    expect(first.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("answers in text after a tool result, and when tool_choice is none", async () => {
    const afterResult = await client.chat.completions.create({
      model: "gpt-4o-mini",
      tools: [weather],
      messages: [
        ...ask,
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temp": 3}' },
      ],
    });
    const none = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: ask,
      tools: [weather],
      tool_choice: "none",
    });
    for (const r of [afterResult, none]) {
      expect(r.choices[0]?.finish_reason).toBe("stop");
      expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(r.choices[0]?.message.tool_calls).toBeUndefined();
    }
  });

  it("calls the tool tool_choice names, with {} when it declares no parameters", async () => {
    const r = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: ask,
      tools: [weather, time],
      tool_choice: { type: "function", function: { name: "get_time" } },
    });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && [call.function.name, call.function.arguments]).toEqual([
      "get_time",
      "{}",
    ]);
  });

  it("calls a tool even after a tool result when tool_choice is required", async () => {
    const r = await client.chat.completions.create({
      model: "gpt-4o-mini",
      tools: [time],
      tool_choice: "required",
      messages: [
        ...ask,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "get_time", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "12:00" },
      ],
    });
    expect(r.choices[0]?.finish_reason).toBe("tool_calls");
  });
});

describe("streamed tool calls", () => {
  it("streams the call as OpenAI does: id, type and name first, then argument pieces", async () => {
    const whole = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: ask,
      tools: [weather],
    });
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: ask,
      tools: [weather],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      pieces.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finishes.push(chunk.choices[0]?.finish_reason ?? null);
      usage = chunk.usage ?? usage;
    }
    const [opening, ...rest] = pieces;
    expect(opening).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(opening?.id).toMatch(/^call/);
    expect(rest.length).toBeGreaterThan(1);
    for (const piece of rest) expect(Object.keys(piece).sort()).toEqual(["function", "index"]);
    const args = rest.map((p) => p.function?.arguments ?? "").join("");
    const call = whole.choices[0]?.message.tool_calls?.[0];
    expect(args).toBe(call?.type === "function" ? call.function.arguments : "");
    expect(finishes.filter((f) => f !== null)).toEqual(["tool_calls"]);
    expect(usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
  });

  it("is accumulated by the SDK's stream helper into one complete call", async () => {
    const final = await client.chat.completions
      .stream({ model: "gpt-4o-mini", messages: ask, tools: [weather, time] })
      .finalChatCompletion();
    const choice = final.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(
      Object.keys(JSON.parse(call?.type === "function" ? call.function.arguments : "{}")).sort(),
    ).toEqual(["city", "unit"]);
  });

  it("streams logprobs with each text chunk when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: ask,
      logprobs: true,
      top_logprobs: 2,
      stream: true,
    });
    let withText = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice?.delta.content) continue;
      withText++;
      const tokens = choice.logprobs?.content ?? [];
      expect(tokens.map((t) => t.token).join("")).toBe(choice.delta.content);
      for (const t of tokens) expect(t.top_logprobs).toHaveLength(2);
    }
    expect(withText).toBeGreaterThan(0);
  });
});
