import { describe, expect, it } from "vitest";
import type { ChatStreamFinish } from "../chat/guardedStream.ts";
import { createResponseEventWriter } from "./responseEvents.ts";
import { responseIds } from "./responseObject.ts";
import { parseResponsesRequest } from "./responsesRequest.ts";

const finish = (finishReason: ChatStreamFinish["finishReason"]): ChatStreamFinish => ({
  finishReason,
  usage: { inputTokens: 5, outputTokens: 3 },
  costMicros: 7,
  modelUsed: "gpt-4o-mini",
  requested: "gpt-4o-mini",
});

function writer() {
  const request = parseResponsesRequest({ model: "gpt-4o-mini", input: "Hi" });
  return createResponseEventWriter(
    { ids: responseIds(), request, createdAt: 1, extension: (o) => ({ cost_micros: o.costMicros }) },
    () => 2_000,
  );
}

describe("createResponseEventWriter", () => {
  it("numbers every event and closes text before a function call opens", () => {
    const w = writer();
    const events = [
      ...w.start(),
      ...w.next({ type: "attempt", tier: 0, model: "gpt-4o-mini" }),
      ...w.next({ type: "delta", text: "Let me " }),
      ...w.next({ type: "delta", text: "check." }),
      ...w.next({ type: "tool_call", index: 0, id: "call_1", name: "get_weather", arguments: '{"city":' }),
      ...w.next({ type: "tool_call", index: 0, arguments: '"Oslo"}' }),
      ...w.next({ type: "done", finish: finish("tool_calls") }),
    ];
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const done = events.at(-1)?.response as { output: unknown[]; output_text: string; sluice: unknown };
    expect(done.output_text).toBe("Let me check.");
    expect(done.output[1]).toMatchObject({
      type: "function_call",
      call_id: "call_1",
      arguments: '{"city":"Oslo"}',
      status: "completed",
    });
    expect(done.sluice).toEqual({ cost_micros: 7 });
  });

  it("ends a response cut at the token limit with response.incomplete", () => {
    const w = writer();
    w.start();
    w.next({ type: "delta", text: "Once upon" });
    const events = w.next({ type: "done", finish: finish("length") });
    const last = events.at(-1);
    expect(last?.type).toBe("response.incomplete");
    expect(last?.response).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
    });
  });

  it("marks a function call cut by the token limit incomplete", () => {
    const w = writer();
    w.start();
    w.next({ type: "tool_call", index: 0, id: "call_1", name: "get_weather", arguments: '{"ci' });
    const events = w.next({ type: "done", finish: finish("length") });
    expect(events.map((e) => e.type)).toEqual([
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.incomplete",
    ]);
    expect(events[1]?.item).toMatchObject({ status: "incomplete", arguments: '{"ci' });
  });

  it("fails with response.failed then error, numbered after what was sent", () => {
    const w = writer();
    const sent = [...w.start(), ...w.next({ type: "delta", text: "Hal" })];
    const failed = w.fail({ code: "model_error", message: "the model went away" });
    expect(failed.map((e) => [e.type, e.sequence_number])).toEqual([
      ["response.failed", sent.length],
      ["error", sent.length + 1],
    ]);
    expect(failed[0]?.response).toMatchObject({
      status: "failed",
      error: { code: "model_error", message: "the model went away" },
    });
  });
});
