import { describe, expect, it } from "vitest";
import type { SluiceError } from "../errors/sluiceError.ts";
import { assertFitsContext } from "./contextCheck.ts";
import { countChatTokens, countTextTokens } from "./tokenCount.ts";

describe("token counting", () => {
  it("counts with OpenAI's encodings", () => {
    expect(countTextTokens("hello world", "openai", "gpt-4o")).toBe(2);
    expect(countTextTokens("hello world", "openai", "gpt-4")).toBe(2);
    expect(countTextTokens("", "openai")).toBe(0);
  });

  it("adds per-message framing for chats", () => {
    const messages = [{ content: "hello world" }, { content: "hello world" }];
    expect(countChatTokens(messages, "openai", "gpt-4o-mini")).toBe(3 + 2 * (3 + 2));
  });

  it("scales Anthropic estimates up by the safety factor", () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(10);
    expect(countTextTokens(text, "anthropic")).toBe(Math.ceil(countTextTokens(text, "openai") * 1.1));
  });
});

describe("context check", () => {
  it("passes exactly at the window and fails one over, with details", () => {
    expect(() =>
      assertFitsContext({ model: "m", promptTokens: 90, maxTokens: 10, contextWindow: 100 }),
    ).not.toThrow();
    let error: SluiceError | undefined;
    try {
      assertFitsContext({ model: "m", promptTokens: 91, maxTokens: 10, contextWindow: 100 });
    } catch (e) {
      error = e as SluiceError;
    }
    expect(error?.code).toBe("context_length_exceeded");
    expect(error?.details).toEqual({ model: "m", promptTokens: 91, maxTokens: 10, contextWindow: 100 });
  });
});
