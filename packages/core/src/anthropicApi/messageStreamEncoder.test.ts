import { describe, expect, it } from "vitest";
import type { GuardedStreamEvent } from "../chat/guardedStream.ts";
import { createMessageStreamEncoder } from "./messageStreamEncoder.ts";

const done = (finishReason: "stop" | "tool_calls"): GuardedStreamEvent => ({
  type: "done",
  finish: {
    finishReason,
    usage: { inputTokens: 12, outputTokens: 7 },
    costMicros: 1,
    modelUsed: "m",
    requested: "m",
  },
});

function encode(events: GuardedStreamEvent[]) {
  const encoder = createMessageStreamEncoder({ id: "msg_1", model: "m", inputTokens: 10 });
  return [...encoder.start(), ...events.flatMap((e) => encoder.push(e))];
}

describe("createMessageStreamEncoder", () => {
  it("frames text as one block between message_start and message_stop, pinging once", () => {
    const out = encode([{ type: "delta", text: "Hel" }, { type: "delta", text: "lo" }, done("stop")]);
    expect(out.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(out.every((e) => e.event === e.data.type)).toBe(true);
    expect(out.at(-2)?.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 12, output_tokens: 7 },
    });
  });

  it("opens a tool_use block per call and sends its arguments as input_json_delta", () => {
    const out = encode([
      { type: "delta", text: "Checking." },
      { type: "tool_call", index: 0, id: "call_a", name: "f", arguments: "" },
      { type: "tool_call", index: 0, arguments: '{"city":' },
      { type: "tool_call", index: 0, arguments: '"Oslo"}' },
      { type: "tool_call", index: 1, id: "call_b", name: "g", arguments: "{}" },
      done("tool_calls"),
    ]);
    const starts = out.filter((e) => e.event === "content_block_start").map((e) => e.data);
    expect(starts).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      {
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "call_a", name: "f", input: {} },
      },
      {
        type: "content_block_start",
        index: 2,
        content_block: { type: "tool_use", id: "call_b", name: "g", input: {} },
      },
    ]);
    const json = out
      .filter((e) => e.event === "content_block_delta" && e.data.index === 1)
      .map((e) => (e.data.delta as { partial_json: string }).partial_json);
    expect(json.join("")).toBe('{"city":"Oslo"}');
    expect(out.filter((e) => e.event === "content_block_stop").map((e) => e.data.index)).toEqual([0, 1, 2]);
    expect(out.at(-2)?.data).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  it("still pings and ends properly when the answer is empty", () => {
    expect(encode([done("stop")]).map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "message_delta",
      "message_stop",
    ]);
  });
});
