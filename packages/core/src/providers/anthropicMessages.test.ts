import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { describe, expect, it } from "vitest";
import { createMessageStreamReader, messageResultOf } from "./anthropicMessages.ts";

const site = { provider: "anthropic", model: "claude-haiku-4-5" };
const usage = { input_tokens: 12, output_tokens: 30 };

// Wire events as Anthropic sends them for a text block followed by two tool_use blocks.
const events = [
  { type: "message_start", message: { usage: { input_tokens: 12, output_tokens: 1 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Checking." } },
  { type: "content_block_stop", index: 0 },
  {
    type: "content_block_start",
    index: 1,
    content_block: { type: "tool_use", id: "toolu_a", name: "get_weather", input: {} },
  },
  { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } },
  { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"city":' } },
  { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '"Oslo"}' } },
  { type: "content_block_stop", index: 1 },
  {
    type: "content_block_start",
    index: 2,
    content_block: { type: "tool_use", id: "toolu_b", name: "get_time", input: {} },
  },
  { type: "content_block_stop", index: 2 },
  {
    type: "message_delta",
    delta: { stop_reason: "tool_use", stop_sequence: null },
    usage: { output_tokens: 30 },
  },
  { type: "message_stop" },
] as unknown as RawMessageStreamEvent[];

describe("reading Anthropic messages", () => {
  it("numbers streamed tool calls by tool_use block, skipping text blocks, and closes empty input as {}", () => {
    const reader = createMessageStreamReader();
    const out = events.flatMap((e) => reader.read(e));
    expect(out).toEqual([
      { type: "delta", text: "Checking." },
      { type: "tool_call", index: 0, id: "toolu_a", name: "get_weather", arguments: "" },
      { type: "tool_call", index: 0, arguments: '{"city":' },
      { type: "tool_call", index: 0, arguments: '"Oslo"}' },
      { type: "tool_call", index: 1, id: "toolu_b", name: "get_time", arguments: "" },
      { type: "tool_call", index: 1, arguments: "{}" },
    ]);
    expect(reader.stopped).toBe(true);
    expect(reader.done()).toEqual({
      type: "done",
      finishReason: "tool_calls",
      usage: { inputTokens: 12, outputTokens: 30 },
    });
  });

  it("reads text and tool_use blocks of a message into content and tool calls", () => {
    const message = {
      id: "msg_1",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "toolu_a", name: "get_weather", input: { city: "Oslo" } },
      ],
      stop_reason: "tool_use",
      usage,
    } as unknown as Message;
    const call = { id: "toolu_a", name: "get_weather", arguments: '{"city":"Oslo"}' };
    expect(messageResultOf(message, site)).toEqual({
      id: "msg_1",
      content: "Checking.",
      finishReason: "tool_calls",
      choices: [{ content: "Checking.", finishReason: "tool_calls", toolCalls: [call] }],
      usage: { inputTokens: 12, outputTokens: 30 },
      toolCalls: [call],
    });
  });
});
