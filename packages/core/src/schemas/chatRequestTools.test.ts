import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { parseChatRequest } from "./chatRequest.ts";
import type { ValidationIssue } from "./validationError.ts";

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    strict: true,
  },
};
const withTools = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], tools: [weather] };
const call = {
  id: "call_1",
  type: "function",
  function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
};

function paths(input: unknown): string[] {
  try {
    parseChatRequest(input);
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    return ((error.details?.issues ?? []) as ValidationIssue[]).map((issue) => issue.path);
  }
  throw new Error("expected the request to be rejected");
}

describe("parseChatRequest with tools", () => {
  it("reads an empty content on an assistant turn that calls tools as no content, as OpenAI does", () => {
    const request = parseChatRequest({
      ...withTools,
      messages: [
        { role: "user", content: "weather in Oslo?" },
        { role: "assistant", content: "", tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: '{"temp":3}' },
      ],
    });
    const turn = request.messages[1];
    expect(turn?.role === "assistant" && [turn.content, turn.tool_calls?.length]).toEqual([null, 1]);
    expect(paths({ ...withTools, messages: [{ role: "assistant", content: "" }] })).toEqual([
      "messages.0.content",
    ]);
  });

  it("accepts tools on a stream (tool calls stream as deltas)", () => {
    const request = parseChatRequest({ ...withTools, stream: true, tool_choice: "required" });
    expect([request.stream, request.tools?.length]).toEqual([true, 1]);
  });

  it("accepts tools on a cascade (drafts' tool calls are validated before one is accepted)", () => {
    const request = parseChatRequest({ ...withTools, model: "cascade:cheap", tool_choice: "required" });
    expect([request.model, request.tools?.length]).toEqual(["cascade:cheap", 1]);
  });

  it("accepts tools, tool_choice, parallel_tool_calls and a whole tool-calling turn", () => {
    const request = {
      ...withTools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      messages: [
        { role: "user", content: "weather in Oslo?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: '{"temp":3}' },
      ],
    };
    expect(parseChatRequest(request)).toEqual(request);
  });

  it("accepts a refused assistant turn as the SDK appends it, refusal included", () => {
    const messages = [
      { role: "user", content: "x" },
      { role: "assistant", content: "fine", refusal: null },
      { role: "assistant", content: null, refusal: "I can't help with that." },
    ];
    expect(parseChatRequest({ ...withTools, messages }).messages).toEqual(messages);
  });

  it("accepts an assistant tool call with no content field", () => {
    const messages = [
      { role: "user", content: "x" },
      { role: "assistant", tool_calls: [call] },
    ];
    expect(parseChatRequest({ ...withTools, messages }).messages).toEqual(messages);
  });

  it.each([
    [
      "a tool name with a space",
      [{ type: "function", function: { name: "get weather" } }],
      "tools.0.function.name",
    ],
    [
      "a 65-character tool name",
      [{ type: "function", function: { name: "a".repeat(65) } }],
      "tools.0.function.name",
    ],
    ["a non-function tool", [{ type: "code_interpreter" }], "tools.0.type"],
    [
      "parameters that are not an object",
      [{ type: "function", function: { name: "f", parameters: "x" } }],
      "tools.0.function.parameters",
    ],
    [
      "an unknown function field",
      [{ type: "function", function: { name: "f", params: {} } }],
      "tools.0.function.params",
    ],
    ["a tool declared twice", [weather, weather], "tools.1.function.name"],
    ["no tools", [], "tools"],
    [
      "129 tools",
      Array.from({ length: 129 }, (_, i) => ({ type: "function", function: { name: `f${i}` } })),
      "tools",
    ],
  ])("rejects %s", (_name, tools, path) => {
    expect(paths({ ...withTools, tools })).toContain(path);
  });

  it.each([
    [
      "a tool_choice naming an undeclared tool",
      { ...withTools, tool_choice: { type: "function", function: { name: "nope" } } },
      "tool_choice.function.name",
    ],
    ["an unknown tool_choice", { ...withTools, tool_choice: "always" }, "tool_choice"],
    ["tool_choice without tools", { ...withTools, tools: undefined, tool_choice: "auto" }, "tool_choice"],
    [
      "parallel_tool_calls without tools",
      { ...withTools, tools: undefined, parallel_tool_calls: true },
      "parallel_tool_calls",
    ],
    [
      "a non-boolean parallel_tool_calls",
      { ...withTools, parallel_tool_calls: "yes" },
      "parallel_tool_calls",
    ],
    [
      "an assistant message with neither content nor tool calls",
      { ...withTools, messages: [{ role: "assistant", content: null }] },
      "messages.0.content",
    ],
    [
      "a tool call with non-string arguments",
      {
        ...withTools,
        messages: [{ role: "assistant", tool_calls: [{ ...call, function: { name: "f", arguments: {} } }] }],
      },
      "messages.0.tool_calls.0.function.arguments",
    ],
    [
      "a tool result before its call",
      {
        ...withTools,
        messages: [
          { role: "tool", tool_call_id: "call_1", content: "x" },
          { role: "assistant", tool_calls: [call] },
        ],
      },
      "messages.0.tool_call_id",
    ],
  ])("rejects %s", (_name, input, path) => {
    expect(paths(input)).toContain(path);
  });
});
