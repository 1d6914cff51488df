import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../schemas/chatRequest.ts";
import { toProviderRequest } from "./chatRequestMapping.ts";

describe("toProviderRequest", () => {
  it("maps every OpenAI field to the provider shape and flattens text parts", () => {
    const request = parseChatRequest({
      model: "gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
        },
      ],
      max_completion_tokens: 9,
      temperature: 0.2,
      top_p: 0.9,
      stop: "END",
      presence_penalty: 1,
      frequency_penalty: -1,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
      logprobs: true,
      top_logprobs: 3,
      n: 2,
      seed: 5,
    });
    expect(toProviderRequest(request)).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user", content: "ab" }],
      maxTokens: 9,
      temperature: 0.2,
      topP: 0.9,
      stop: ["END"],
      presencePenalty: 1,
      frequencyPenalty: -1,
      responseFormat: { type: "json_schema", name: "x", schema: { type: "object" } },
      logprobs: true,
      topLogprobs: 3,
      n: 2,
      seed: 5,
    });
  });

  it("omits what the request does not set", () => {
    expect(
      toProviderRequest(parseChatRequest({ model: "m", messages: [{ role: "user", content: "x" }] })),
    ).toEqual({
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
  });

  it("maps tools, tool choice, assistant tool calls, tool results and refusals", () => {
    const call = {
      id: "c1",
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
    };
    const request = parseChatRequest({
      model: "gpt-4o",
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "c1", content: "3C" },
        { role: "assistant", content: null, refusal: "no" },
      ],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object" }, strict: true } },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
    });
    expect(toProviderRequest(request)).toEqual({
      model: "gpt-4o",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }],
        },
        { role: "tool", content: "3C", toolCallId: "c1" },
        { role: "assistant", content: "no" },
      ],
      tools: [{ name: "get_weather", parameters: { type: "object" }, strict: true }],
      toolChoice: { name: "get_weather" },
      parallelToolCalls: false,
    });
  });
});
