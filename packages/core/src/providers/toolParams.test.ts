import { describe, expect, it } from "vitest";
import { chatResultOf, toParams as openaiParams } from "./openaiProvider.ts";
import type { ProviderChatRequest } from "./provider.ts";

const call = { id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' };
const request: ProviderChatRequest = {
  model: "gpt-4o-mini",
  messages: [
    { role: "user", content: "weather?" },
    { role: "assistant", content: "", toolCalls: [call] },
    { role: "tool", content: '{"temp":3}', toolCallId: "call_1" },
  ],
  tools: [{ name: "get_weather", description: "Weather", parameters: { type: "object" }, strict: true }],
  toolChoice: { name: "get_weather" },
  parallelToolCalls: false,
};

describe("OpenAI provider tool calling", () => {
  it("sends tools, tool_choice, parallel_tool_calls, assistant tool calls and tool results", () => {
    const params = openaiParams(request);
    expect(params.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather",
          parameters: { type: "object" },
          strict: true,
        },
      },
    ]);
    expect(params.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(params.parallel_tool_calls).toBe(false);
    expect(params.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: call.arguments } },
        ],
      },
      { role: "tool", content: '{"temp":3}', tool_call_id: "call_1" },
    ]);
  });

  it("reads a choice with only tool calls as empty content with its calls", () => {
    const result = chatResultOf(
      {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 0,
        model: "gpt-4o-mini",
        choices: [
          {
            index: 0,
            logprobs: null,
            finish_reason: "tool_calls",
            message: {
              role: "assistant",
              content: null,
              refusal: null,
              tool_calls: [
                { id: "call_1", type: "function", function: { name: call.name, arguments: call.arguments } },
              ],
            },
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      },
      { provider: "openai", model: "gpt-4o-mini" },
    );
    expect([result.content, result.finishReason, result.toolCalls]).toEqual(["", "tool_calls", [call]]);
    expect(result.choices[0]?.toolCalls).toEqual([call]);
  });
});
