import { describe, expect, it } from "vitest";
import type { ProviderChatRequest, ProviderToolCall } from "../providers/provider.ts";
import {
  MISSING_TOOL_CALL_REASON,
  responseSchemaValidator,
  toolCallValidator,
} from "./requestContractValidators.ts";
import { type Draft, heuristicsValidator, type Validator } from "./validators.ts";

const signal = new AbortController().signal;
const lookup: ProviderChatRequest["tools"] = [
  {
    name: "lookup",
    parameters: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
  },
  { name: "now" },
];
const request = (fields: Partial<ProviderChatRequest>): ProviderChatRequest => ({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  ...fields,
});
const draft = (toolCalls?: ProviderToolCall[], content = ""): Draft => ({
  model: "m",
  content,
  finishReason: toolCalls ? "tool_calls" : "stop",
  ...(toolCalls ? { toolCalls } : {}),
});
const call = (name: string, args: string): ProviderToolCall => ({ id: "call_1", name, arguments: args });
const judge = (validate: Validator | undefined, d: Draft) => {
  if (!validate) throw new Error("expected a validator");
  return validate(d, { signal });
};

describe("tool-call validation of drafts", () => {
  it("is absent when the request declares no tools", () => {
    expect(toolCallValidator(request({}))).toBeUndefined();
  });

  it("accepts valid calls, and a text answer when tool_choice leaves the choice to the model", () => {
    const validate = toolCallValidator(request({ tools: lookup }));
    expect(judge(validate, draft([call("lookup", '{"id": 3}'), call("now", "{}")]))).toMatchObject({
      accept: true,
      reason: "2 valid tool calls",
    });
    expect(judge(validate, draft(undefined, "No call needed."))).toMatchObject({ accept: true });
  });

  it.each([
    ["required", "required" as const],
    ["a named tool", { name: "now" }],
  ])("rejects a draft with no call when tool_choice is %s", (_name, toolChoice) => {
    const verdict = judge(
      toolCallValidator(request({ tools: lookup, toolChoice })),
      draft(undefined, "text"),
    );
    expect(verdict).toEqual({
      accept: false,
      hard: true,
      keepAtLastTier: true,
      reason: MISSING_TOOL_CALL_REASON,
    });
  });

  it.each([
    ["an undeclared tool", {}, call("delete_all", "{}"), "tool call 0 (delete_all): not a declared tool"],
    [
      "arguments that are not JSON",
      {},
      call("lookup", '{"id": 3'),
      "tool call 0 (lookup): arguments are not valid JSON",
    ],
    [
      "a missing required argument",
      {},
      call("lookup", "{}"),
      "tool call 0 (lookup): arguments.id: is required",
    ],
    [
      "an argument of the wrong type",
      {},
      call("lookup", '{"id": "x"}'),
      "tool call 0 (lookup): arguments.id: must be integer",
    ],
    [
      "a call other than the named one",
      { toolChoice: { name: "now" } },
      call("lookup", '{"id": 1}'),
      'tool call 0 (lookup): tool_choice names "now"',
    ],
    [
      "a call despite tool_choice none",
      { toolChoice: "none" as const },
      call("now", "{}"),
      'tool call 0 (now): made although tool_choice is "none"',
    ],
  ])("rejects %s, saying why", (_name, fields, made, reason) => {
    const verdict = judge(toolCallValidator(request({ tools: lookup, ...fields })), draft([made]));
    expect(verdict).toMatchObject({ accept: false, hard: true, reason });
  });

  it("leaves a draft that only calls tools to pass the empty-answer heuristic", () => {
    const heuristics = heuristicsValidator({ empty: true, refusal: true, truncated: true });
    expect(judge(heuristics, draft([call("now", "{}")]))).toMatchObject({ accept: true });
    expect(judge(heuristics, draft(undefined, " "))).toMatchObject({ accept: false, reason: "empty answer" });
  });
});

describe("response-schema validation of drafts", () => {
  const asking = (schema: Record<string, unknown>) =>
    request({ responseFormat: { type: "json_schema", name: "out", schema } });

  it("parses a valid answer into the draft, and leaves tool-calling drafts alone", () => {
    const validate = responseSchemaValidator(asking({ type: "object", required: ["a"] }));
    const valid = draft(undefined, '{"a": 1}');
    expect(judge(validate, valid)).toMatchObject({ accept: true });
    expect(valid.parsed).toEqual({ a: 1 });
    expect(judge(validate, draft([call("now", "{}")]))).toMatchObject({ accept: true });
    expect(judge(validate, draft(undefined, "{}"))).toMatchObject({
      accept: false,
      reason: "schema: a: is required",
    });
  });

  it("reads schemas that name another draft or reuse an $id", () => {
    const first = responseSchemaValidator(
      asking({
        $schema: "http://json-schema.org/draft-07/schema#",
        $id: "https://example.com/out.json",
        type: "object",
      }),
    );
    const second = responseSchemaValidator(asking({ $id: "https://example.com/out.json", type: "array" }));
    expect(judge(first, draft(undefined, "{}"))).toMatchObject({ accept: true });
    expect(judge(second, draft(undefined, "{}"))).toMatchObject({
      accept: false,
      reason: "schema: (root): must be array",
    });
  });

  it("is absent unless the request asks for json_schema", () => {
    expect(responseSchemaValidator(request({ responseFormat: { type: "json_object" } }))).toBeUndefined();
  });
});
