import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { maxTokensOf, messageText, parseChatRequest } from "./chatRequest.ts";
import type { ValidationIssue } from "./validationError.ts";

const user = (content: unknown) => ({ role: "user", content });
const minimal = { model: "gpt-4o-mini", messages: [user("hi")] };

function rejection(input: unknown): SluiceError {
  try {
    parseChatRequest(input);
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("expected the request to be rejected");
}

const issues = (input: unknown) => (rejection(input).details?.issues ?? []) as ValidationIssue[];
const paths = (input: unknown) => issues(input).map((issue) => issue.path);

describe("parseChatRequest accepts", () => {
  it("a minimal request unchanged", () => {
    expect(parseChatRequest(minimal)).toEqual(minimal);
  });

  it("a maximal request with every field at its bound", () => {
    const maximal = {
      model: "openai/gpt-4o-2024-08-06",
      messages: [
        { role: "system", content: "be brief" },
        { role: "developer", content: "answer in JSON" },
        {
          role: "user",
          content: [
            { type: "text", text: "hello " },
            { type: "text", text: "there" },
          ],
          name: "ana_1",
        },
        { role: "assistant", content: "hi" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }],
        },
        { role: "tool", content: "42", tool_call_id: "call_1" },
      ],
      temperature: 2,
      top_p: 0,
      presence_penalty: -2,
      frequency_penalty: 2,
      stop: ["a", "b", "c", "d"],
      max_completion_tokens: 131_072,
      n: 8,
      stream: true,
      stream_options: { include_usage: true },
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", description: "d", schema: { type: "object" }, strict: true },
      },
      logprobs: true,
      top_logprobs: 20,
      seed: -7,
      user: "u".repeat(256),
      metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, "v".repeat(512)])),
    };
    const parsed = parseChatRequest(maximal);
    expect(parsed).toEqual(maximal);
    expect(messageText(parsed.messages[2]!)).toBe("hello there");
    expect(maxTokensOf(parsed)).toBe(131_072);
  });

  it("a cascade addressed as a model name", () => {
    expect(parseChatRequest({ ...minimal, model: "cascade:fast" }).model).toBe("cascade:fast");
  });

  it("top-level nulls as absent fields, as OpenAI does", () => {
    expect(parseChatRequest({ ...minimal, temperature: null, stop: null, response_format: null })).toEqual(
      minimal,
    );
  });

  it("text-only response formats and a single stop string", () => {
    const parsed = parseChatRequest({
      ...minimal,
      response_format: { type: "json_object" },
      stop: "END",
      max_tokens: 1,
    });
    expect(parsed.response_format).toEqual({ type: "json_object" });
    expect(maxTokensOf(parsed)).toBe(1);
  });
});

describe("parseChatRequest rejects", () => {
  it.each([
    ["no messages", { ...minimal, messages: [] }, "messages"],
    ["1001 messages", { ...minimal, messages: Array.from({ length: 1001 }, () => user("x")) }, "messages"],
    ["an unknown role", { ...minimal, messages: [{ role: "robot", content: "x" }] }, "messages.0.role"],
    ["empty content", { ...minimal, messages: [user("")] }, "messages.0.content"],
    ["missing content", { ...minimal, messages: [{ role: "assistant" }] }, "messages.0.content"],
    ["null content", { ...minimal, messages: [{ role: "assistant", content: null }] }, "messages.0.content"],
    ["content of the wrong type", { ...minimal, messages: [user(5)] }, "messages.0.content"],
    ["an empty parts array", { ...minimal, messages: [user([])] }, "messages.0.content"],
    [
      "an empty text part",
      { ...minimal, messages: [user([{ type: "text", text: "" }])] },
      "messages.0.content.0.text",
    ],
    ["content that is only whitespace", { ...minimal, messages: [user(" \n\t ")] }, "messages.0.content"],
    [
      "text parts that are only whitespace",
      {
        ...minimal,
        messages: [
          user([
            { type: "text", text: " " },
            { type: "text", text: "\n" },
          ]),
        ],
      },
      "messages.0.content",
    ],
    ["a null byte in content", { ...minimal, messages: [user("a\u0000b")] }, "messages.0.content"],
    [
      "a null byte in a text part",
      { ...minimal, messages: [user([{ type: "text", text: "\u0000" }])] },
      "messages.0.content.0.text",
    ],
    [
      "a tool result without tool_call_id",
      { ...minimal, messages: [{ role: "tool", content: "x" }] },
      "messages.0.tool_call_id",
    ],
    [
      "a tool result answering no earlier call",
      { ...minimal, messages: [user("x"), { role: "tool", content: "x", tool_call_id: "call_9" }] },
      "messages.1.tool_call_id",
    ],
    [
      "tool_calls on a message",
      { ...minimal, messages: [{ role: "assistant", content: "x", tool_calls: [] }] },
      "messages.0.tool_calls",
    ],
    ["a bad author name", { ...minimal, messages: [{ ...user("x"), name: "a b" }] }, "messages.0.name"],
    ["temperature 2.1", { ...minimal, temperature: 2.1 }, "temperature"],
    ["temperature below 0", { ...minimal, temperature: -0.1 }, "temperature"],
    ["top_p -0.1", { ...minimal, top_p: -0.1 }, "top_p"],
    ["top_p above 1", { ...minimal, top_p: 1.01 }, "top_p"],
    ["presence_penalty 2.5", { ...minimal, presence_penalty: 2.5 }, "presence_penalty"],
    ["frequency_penalty -2.01", { ...minimal, frequency_penalty: -2.01 }, "frequency_penalty"],
    ["5 stop sequences", { ...minimal, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    ["an empty stop string", { ...minimal, stop: "" }, "stop"],
    ["max_tokens 0", { ...minimal, max_tokens: 0 }, "max_tokens"],
    ["max_tokens above the bound", { ...minimal, max_tokens: 131_073 }, "max_tokens"],
    ["fractional max_completion_tokens", { ...minimal, max_completion_tokens: 1.5 }, "max_completion_tokens"],
    ["both max_tokens fields", { ...minimal, max_tokens: 10, max_completion_tokens: 10 }, "max_tokens"],
    ["n 9", { ...minimal, n: 9 }, "n"],
    ["n 0", { ...minimal, n: 0 }, "n"],
    ["top_logprobs without logprobs", { ...minimal, top_logprobs: 2 }, "top_logprobs"],
    ["top_logprobs with logprobs false", { ...minimal, logprobs: false, top_logprobs: 2 }, "top_logprobs"],
    ["top_logprobs 21", { ...minimal, logprobs: true, top_logprobs: 21 }, "top_logprobs"],
    [
      "stream_options without stream",
      { ...minimal, stream_options: { include_usage: true } },
      "stream_options",
    ],
    ["an unknown response format", { ...minimal, response_format: { type: "xml" } }, "response_format.type"],
    [
      "a bad JSON schema name",
      { ...minimal, response_format: { type: "json_schema", json_schema: { name: "a b", schema: {} } } },
      "response_format.json_schema.name",
    ],
    [
      "a JSON schema that is not an object",
      { ...minimal, response_format: { type: "json_schema", json_schema: { name: "a", schema: [] } } },
      "response_format.json_schema.schema",
    ],
    [
      "a null byte deep in a JSON schema",
      {
        ...minimal,
        response_format: { type: "json_schema", json_schema: { name: "a", schema: { enum: ["\u0000"] } } },
      },
      "response_format.json_schema.schema",
    ],
    ["a fractional seed", { ...minimal, seed: 1.5 }, "seed"],
    ["a 257-character user", { ...minimal, user: "u".repeat(257) }, "user"],
    ["a null byte in user", { ...minimal, user: "\u0000" }, "user"],
    [
      "17 metadata keys",
      { ...minimal, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) },
      "metadata",
    ],
    ["a non-string metadata value", { ...minimal, metadata: { team: 1 } }, "metadata.team"],
    ["an unknown top-level field", { ...minimal, functions: [] }, "functions"],
    ["an unknown message field", { ...minimal, messages: [{ ...user("x"), audio: {} }] }, "messages.0.audio"],
    ["a model name with a space", { ...minimal, model: "gpt 4o" }, "model"],
    ["an empty model name", { ...minimal, model: "" }, "model"],
    ["a model name starting with '/'", { ...minimal, model: "/etc" }, "model"],
    ["a 129-character model name", { ...minimal, model: "m".repeat(129) }, "model"],
    ["a missing model", { messages: minimal.messages }, "model"],
  ])("%s", (_name, input, path) => {
    expect(paths(input)).toEqual([path]);
  });

  it("an image part without a URL, pointing into the part rather than at the whole content", () => {
    expect(issues({ ...minimal, messages: [user([{ type: "image_url", image_url: {} }])] })).toEqual([
      { path: "messages.0.content.0.image_url.url", message: "is required" },
    ]);
  });

  it("content that is neither a string nor an array, at the content", () => {
    expect(issues({ ...minimal, messages: [user(5)] })).toEqual([
      { path: "messages.0.content", message: "must be a non-empty string or an array of content parts" },
    ]);
  });

  it("a body that is not an object, at the root", () => {
    expect(issues("hello")).toEqual([{ path: "(root)", message: "must be an object, not a string" }]);
  });
});

describe("validation errors", () => {
  it("list every failing path together, cross-field rules included", () => {
    const error = rejection({
      model: "bad model",
      messages: [user(""), { role: "robot", content: "x" }, user("a\u0000")],
      temperature: 3,
      max_tokens: 5,
      max_completion_tokens: 5,
      top_logprobs: 2,
      extra: true,
      other: 1,
    });
    expect(error.code).toBe("validation_error");
    expect(((error.details?.issues ?? []) as ValidationIssue[]).map((issue) => issue.path).sort()).toEqual(
      [
        "extra",
        "max_tokens",
        "messages.0.content",
        "messages.1.role",
        "messages.2.content",
        "model",
        "other",
        "temperature",
        "top_logprobs",
      ].sort(),
    );
  });

  it("say what is wrong in one readable sentence and plain messages per field", () => {
    const error = rejection({ ...minimal, temperature: 2.1, extra: 1 });
    expect(error.message).toBe(
      "Invalid chat completion request: temperature: must be between 0 and 2, and 1 more issue (see details.issues).",
    );
    expect(error.details?.issues).toEqual([
      { path: "temperature", message: "must be between 0 and 2" },
      { path: "extra", message: "is not a known field" },
    ]);
    expect(issues({ ...minimal, messages: [user("a\u0000")] })).toEqual([
      { path: "messages.0.content", message: "must not contain null bytes (\\u0000)" },
    ]);
    expect(issues({ ...minimal, messages: [{ role: "robot", content: "x" }] })[0]?.message).toBe(
      'must be one of "system", "developer", "user", "assistant", "tool"',
    );
    expect(issues({ ...minimal, top_logprobs: 1 })[0]?.message).toBe("requires logprobs: true");
  });

  it("are never raw zod errors", () => {
    const error = rejection({});
    expect(error).toBeInstanceOf(SluiceError);
    expect(error.cause).toBeUndefined();
    expect(error.details?.issues).toEqual([
      { path: "model", message: "is required" },
      { path: "messages", message: "is required" },
    ]);
  });
});
