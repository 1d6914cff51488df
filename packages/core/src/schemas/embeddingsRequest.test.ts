import { describe, expect, it } from "vitest";
import type { SluiceError } from "../errors/sluiceError.ts";
import { chatCompletionSchema } from "./chatResponse.ts";
import { parseEmbeddingsRequest } from "./embeddingsRequest.ts";

function failingPath(input: unknown): string | undefined {
  try {
    parseEmbeddingsRequest(input);
  } catch (e) {
    return ((e as SluiceError).details?.issues as { path: string }[])[0]?.path;
  }
  return undefined;
}

describe("embeddings request validation", () => {
  it("accepts a string or an array of strings with dimensions", () => {
    expect(parseEmbeddingsRequest({ model: "text-embedding-3-small", input: "x" }).input).toBe("x");
    expect(
      parseEmbeddingsRequest({ model: "m", input: ["a", "b"], dimensions: 64, encoding_format: "float" })
        .dimensions,
    ).toBe(64);
  });

  it("rejects empty inputs, too many inputs, null bytes, bad dimensions and unknown fields", () => {
    expect(failingPath({ model: "m", input: "" })).toBe("input");
    expect(failingPath({ model: "m", input: [] })).toBe("input");
    expect(failingPath({ model: "m", input: Array(2049).fill("x") })).toBe("input");
    expect(failingPath({ model: "m", input: ["ok", "a\u0000"] })).toBe("input.1");
    expect(failingPath({ model: "m", input: "x", dimensions: 0 })).toBe("dimensions");
    expect(failingPath({ model: "m", input: "x", extra: true })).toBe("(root)");
  });
});

describe("response schemas", () => {
  it("accept a real-shaped completion and reject a wrong shape", () => {
    const completion = {
      id: "c1",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o-mini",
      choices: [
        { index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop", logprobs: null },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    expect(chatCompletionSchema.safeParse(completion).success).toBe(true);
    expect(chatCompletionSchema.safeParse({ ...completion, choices: [] }).success).toBe(false);
    expect(chatCompletionSchema.safeParse({ id: "x" }).success).toBe(false);
  });
});
