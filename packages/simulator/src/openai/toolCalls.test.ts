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
