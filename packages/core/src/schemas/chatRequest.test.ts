import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { maxTokensOf, messageText, parseChatRequest } from "./chatRequest.ts";

const minimal = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };

function issues(input: unknown): { path: string; message: string }[] {
  try {
    parseChatRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe("validation_error");
    return (error as SluiceError).details?.issues as { path: string; message: string }[];
  }
  throw new Error("expected a validation error");
}

const paths = (input: unknown) => issues(input).map((i) => i.path);

describe("chat request validation", () => {
  it("accepts a minimal and a maximal request", () => {
    expect(parseChatRequest(minimal)).toEqual(minimal);
    const maximal = {
      model: "cascade:support",
      messages: [
        { role: "system", content: "be nice" },
        { role: "user", content: [{ type: "text", text: "hello" }], name: "ana" },
      ],
      temperature: 2,
      top_p: 0,
      presence_penalty: -2,
      frequency_penalty: 2,
      stop: ["a", "b", "c", "d"],
      max_completion_tokens: 100,
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
      response_format: {
        type: "json_schema",
        json_schema: { name: "out", schema: { type: "object" }, strict: true },
      },
      logprobs: true,
      top_logprobs: 5,
      seed: 1,
      user: "u-1",
      metadata: { team: "support" },
    };
    expect(parseChatRequest(maximal)).toEqual(maximal);
    expect(messageText(parseChatRequest(maximal).messages[1]!)).toBe("hello");
    expect(maxTokensOf(parseChatRequest(maximal))).toBe(100);
  });

  it("rejects each rule with its path", () => {
    expect(paths({ ...minimal, messages: [] })).toEqual(["messages"]);
    expect(paths({ ...minimal, messages: Array(1001).fill({ role: "user", content: "x" }) })).toEqual([
      "messages",
    ]);
    expect(paths({ ...minimal, messages: [{ role: "robot", content: "x" }] })).toEqual(["messages.0.role"]);
    expect(paths({ ...minimal, messages: [{ role: "user", content: "   " }] })).toEqual([
      "messages.0.content",
    ]);
    expect(paths({ ...minimal, messages: [{ role: "user", content: "a\u0000b" }] })).toEqual([
      "messages.0.content",
    ]);
    expect(paths({ ...minimal, temperature: 2.1 })).toEqual(["temperature"]);
    expect(paths({ ...minimal, top_p: -0.1 })).toEqual(["top_p"]);
    expect(paths({ ...minimal, presence_penalty: 3 })).toEqual(["presence_penalty"]);
    expect(paths({ ...minimal, stop: ["1", "2", "3", "4", "5"] })).toEqual(["stop"]);
    expect(paths({ ...minimal, max_tokens: 10, max_completion_tokens: 10 })).toEqual([
      "max_completion_tokens",
    ]);
    expect(paths({ ...minimal, max_tokens: 0 })).toEqual(["max_tokens"]);
    expect(paths({ ...minimal, top_logprobs: 2 })).toEqual(["top_logprobs"]);
    expect(paths({ ...minimal, model: "bad model!" })).toEqual(["model"]);
    expect(paths({ ...minimal, temperatur: 1 })).toEqual(["(root)"]);
    expect(issues({ ...minimal, temperatur: 1 })[0]?.message).toMatch(/temperatur/);
  });

  it("lists every failure together and says how many in the message", () => {
    let caught: SluiceError | undefined;
    try {
      parseChatRequest({ model: "", messages: [], temperature: 9 });
    } catch (e) {
      caught = e as SluiceError;
    }
    expect((caught?.details?.issues as unknown[]).length).toBe(3);
    expect(caught?.message).toMatch(/^invalid chat request: .* \(and 2 more\)$/);
  });

  it("rejects wrong types without throwing anything but a validation error", () => {
    for (const bad of [null, 42, "text", [], { model: 1, messages: "x" }])
      expect(paths(bad).length).toBeGreaterThan(0);
  });
});
