import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { assertFitsContext } from "./contextCheck.ts";

function failure(input: Parameters<typeof assertFitsContext>[0]): SluiceError {
  try {
    assertFitsContext(input);
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("expected the context check to fail");
}

describe("assertFitsContext", () => {
  it("passes exactly at the window", () => {
    expect(() =>
      assertFitsContext({
        model: "gpt-4o-mini",
        promptTokens: 127_000,
        maxTokens: 1_000,
        contextWindow: 128_000,
      }),
    ).not.toThrow();
    expect(() =>
      assertFitsContext({ model: "m", promptTokens: 100, maxTokens: undefined, contextWindow: 100 }),
    ).not.toThrow();
  });

  it("fails one token over with the numbers in details", () => {
    const error = failure({
      model: "gpt-4o-mini",
      promptTokens: 127_001,
      maxTokens: 1_000,
      contextWindow: 128_000,
    });
    expect(error.code).toBe("context_length_exceeded");
    expect(error.clientFault).toBe(true);
    expect(error.details).toEqual({
      model: "gpt-4o-mini",
      promptTokens: 127_001,
      maxTokens: 1_000,
      contextWindow: 128_000,
    });
    expect(error.message).toBe(
      "The request needs 128001 tokens (127001 prompt + 1000 completion) but gpt-4o-mini has a context window of 128000 tokens.",
    );
  });

  it("counts an absent maxTokens as 0", () => {
    const error = failure({ model: "m", promptTokens: 101, maxTokens: undefined, contextWindow: 100 });
    expect(error.details).toEqual({ model: "m", promptTokens: 101, maxTokens: 0, contextWindow: 100 });
  });
});
