import { describe, expect, it } from "vitest";
import type { PublicBatch } from "../batches/publicBatch.ts";
import { messageBatchObject } from "./messageBatches.ts";
import { messageOfChatCompletion } from "./messageResponse.ts";

const created = new Date("2026-12-07T10:00:00.000Z");

function batch(fields: Partial<PublicBatch>): PublicBatch {
  return {
    id: "b1",
    name: "n",
    description: null,
    provider: "simulator",
    model: "gpt-4o-mini",
    status: "in_progress",
    tier: 0,
    providerBatchId: null,
    completionWindow: "24h",
    webhookUrl: null,
    metadata: {},
    counts: { total: 5, succeeded: 1, errored: 1, expired: 0, cancelled: 0 },
    atProvider: { total: 5, done: 2 },
    retried: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    costMicros: 0,
    syncCostMicros: 0,
    savingsMicros: 0,
    topTierCostMicros: 0,
    error: null,
    createdAt: created,
    submittedAt: created,
    finishedAt: null,
    ...fields,
  };
}

describe("messageBatchObject", () => {
  it("reads a running batch as in_progress with the unanswered requests processing", () => {
    expect(messageBatchObject(batch({}))).toEqual({
      id: "b1",
      type: "message_batch",
      processing_status: "in_progress",
      request_counts: { processing: 3, succeeded: 1, errored: 1, canceled: 0, expired: 0 },
      ended_at: null,
      created_at: "2026-12-07T10:00:00.000Z",
      expires_at: "2026-12-08T10:00:00.000Z",
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    });
  });

  it("reads cancelling as canceling and every final status as ended, with a results_url", () => {
    expect(messageBatchObject(batch({ status: "cancelling" })).processing_status).toBe("canceling");
    const finishedAt = new Date("2026-12-07T11:00:00.000Z");
    for (const status of ["completed", "failed", "expired", "cancelled"] as const) {
      const ended = messageBatchObject(
        batch({
          status,
          finishedAt,
          counts: { total: 5, succeeded: 2, errored: 1, expired: 1, cancelled: 1 },
        }),
      );
      expect(ended).toMatchObject({
        processing_status: "ended",
        request_counts: { processing: 0, succeeded: 2, errored: 1, canceled: 1, expired: 1 },
        ended_at: "2026-12-07T11:00:00.000Z",
        results_url: "/v1/messages/batches/b1/results",
      });
    }
  });
});

describe("messageOfChatCompletion", () => {
  it("turns a stored chat completion with text and a tool call into a message", () => {
    const message = messageOfChatCompletion(
      {
        id: "chatcmpl-1",
        choices: [
          {
            message: {
              content: "Checking.",
              tool_calls: [{ id: "call_1", function: { name: "f", arguments: '{"a":1}' } }],
            },
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: 9, completion_tokens: 4 },
      },
      "gpt-4o-mini",
    );
    expect(message).toEqual({
      id: "msg_chatcmpl-1",
      type: "message",
      role: "assistant",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "call_1", name: "f", input: { a: 1 } },
      ],
      model: "gpt-4o-mini",
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: {
        input_tokens: 9,
        output_tokens: 4,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });

  it("reads a cut-off answer as max_tokens and broken tool arguments as {}", () => {
    const message = messageOfChatCompletion(
      {
        choices: [
          {
            message: {
              content: null,
              tool_calls: [{ id: "c", function: { name: "f", arguments: '{"a":' } }],
            },
            finish_reason: "length",
          },
        ],
      },
      "m",
    );
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content).toEqual([{ type: "tool_use", id: "c", name: "f", input: {} }]);
  });
});
