import { describe, expect, it } from "vitest";
import { cascadeSpecSchema } from "../cascade/cascadeSpec.ts";
import { MISSING_TOOL_CALL_REASON } from "../cascade/requestContractValidators.ts";
import type { ProviderChatResult, ProviderToolCall } from "../providers/provider.ts";
import { completionObject, reviewBatchDraft } from "./batchDraft.ts";

const signal = new AbortController().signal;
// No confidence gate: only the request's own demands and the heuristics judge these drafts.
const cascade = cascadeSpecSchema.parse({
  name: "t",
  tiers: [{ model: "sim-small" }, { model: "sim-large" }],
  confidenceThreshold: 0,
});
const tools = [
  {
    type: "function",
    function: {
      name: "lookup",
      parameters: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
    },
  },
];

function answer(content: string, toolCalls?: ProviderToolCall[]): ProviderChatResult {
  const finishReason = toolCalls ? "tool_calls" : "stop";
  return {
    id: "chatcmpl-1",
    content,
    finishReason,
    choices: [{ content, finishReason, ...(toolCalls ? { toolCalls } : {}) }],
    usage: { inputTokens: 5, outputTokens: 3 },
    ...(toolCalls ? { toolCalls } : {}),
  };
}

// Contracts as `batchRequestsByCustomId` reads them: keys the body lacks are null.
const contract = (fields: Record<string, unknown>) => ({
  tools: null,
  tool_choice: null,
  response_format: null,
  ...fields,
});

describe("checking a cascade batch's draft against its request", () => {
  it("rejects a tool call whose arguments break the tool's schema, naming the call", async () => {
    const verdict = await reviewBatchDraft(
      cascade,
      "sim-small",
      answer("", [{ id: "c1", name: "lookup", arguments: '{"id":"x"}' }]),
      contract({ tools, tool_choice: "required" }),
      signal,
    );
    expect(verdict).toMatchObject({ accept: false, hard: true });
    expect(verdict.reason).toMatch(/^tool call 0 \(lookup\): arguments\.id/);
  });

  it("rejects a text answer when the request requires a tool call, and accepts a valid call", async () => {
    const required = contract({ tools, tool_choice: "required" });
    const text = await reviewBatchDraft(cascade, "sim-small", answer("The id is 3."), required, signal);
    expect(text).toMatchObject({ accept: false, reason: MISSING_TOOL_CALL_REASON });
    const valid = answer("", [{ id: "c1", name: "lookup", arguments: '{"id":3}' }]);
    expect(await reviewBatchDraft(cascade, "sim-small", valid, required, signal)).toMatchObject({
      accept: true,
    });
  });

  it("rejects an answer that breaks the response_format json_schema", async () => {
    const format = contract({
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "r",
          schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
        },
      },
    });
    const bad = await reviewBatchDraft(cascade, "sim-small", answer('{"m":1}'), format, signal);
    expect(bad).toMatchObject({ accept: false, hard: true, reason: "schema: n: is required" });
    expect(await reviewBatchDraft(cascade, "sim-small", answer('{"n":1}'), format, signal)).toMatchObject({
      accept: true,
    });
  });

  it("keeps tool calls in the stored chat completion", () => {
    const body = completionObject("sim-large", answer("", [{ id: "c9", name: "lookup", arguments: "{}" }]));
    expect(body.choices[0]?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "c9", type: "function", function: { name: "lookup", arguments: "{}" } }],
    });
  });
});
