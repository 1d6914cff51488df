import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { embeddingInputs, parseEmbeddingsRequest } from "./embeddingsRequest.ts";
import type { ValidationIssue } from "./validationError.ts";

const minimal = { model: "text-embedding-3-small", input: "hello" };

function paths(input: unknown): string[] {
  try {
    parseEmbeddingsRequest(input);
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    expect(error.code).toBe("validation_error");
    return ((error.details?.issues ?? []) as ValidationIssue[]).map((issue) => issue.path);
  }
  throw new Error("expected the request to be rejected");
}

describe("parseEmbeddingsRequest", () => {
  it("accepts a single string and a full request with 2048 inputs", () => {
    expect(parseEmbeddingsRequest(minimal)).toEqual(minimal);
    const full = {
      model: "text-embedding-3-large",
      input: Array.from({ length: 2048 }, (_, i) => `text ${i}`),
      dimensions: 3072,
      encoding_format: "base64",
      user: "u-1",
    };
    expect(parseEmbeddingsRequest(full)).toEqual(full);
  });

  it("accepts an input of exactly 100000 characters and nulls as absent fields", () => {
    expect(
      parseEmbeddingsRequest({ ...minimal, input: "a".repeat(100_000), dimensions: null }).input,
    ).toHaveLength(100_000);
  });

  it.each([
    ["an empty string", { ...minimal, input: "" }, "input"],
    ["an empty list", { ...minimal, input: [] }, "input"],
    ["2049 inputs", { ...minimal, input: Array.from({ length: 2049 }, () => "x") }, "input"],
    ["an empty string in the list", { ...minimal, input: ["a", ""] }, "input.1"],
    ["an input over 100000 characters", { ...minimal, input: ["a".repeat(100_001)] }, "input.0"],
    ["a null byte", { ...minimal, input: "a\u0000" }, "input"],
    ["a null byte in the list", { ...minimal, input: ["ok", "b\u0000"] }, "input.1"],
    ["a number", { ...minimal, input: 5 }, "input"],
    ["dimensions 0", { ...minimal, dimensions: 0 }, "dimensions"],
    ["dimensions 3073", { ...minimal, dimensions: 3073 }, "dimensions"],
    ["fractional dimensions", { ...minimal, dimensions: 1.5 }, "dimensions"],
    ["an unknown encoding format", { ...minimal, encoding_format: "int8" }, "encoding_format"],
    ["a 257-character user", { ...minimal, user: "u".repeat(257) }, "user"],
    ["an unknown field", { ...minimal, truncate: true }, "truncate"],
    ["a bad model name", { ...minimal, model: "text embedding" }, "model"],
    ["a missing input", { model: "m" }, "input"],
  ])("rejects %s", (_name, input, path) => {
    expect(paths(input)).toEqual([path]);
  });

  it("rejects token arrays at each element", () => {
    expect(paths({ ...minimal, input: [1, 2] })).toEqual(["input.0", "input.1"]);
  });

  it("lists every failing path together", () => {
    expect(paths({ model: "", input: ["", "x\u0000"], dimensions: 0, extra: 1 }).sort()).toEqual(
      ["dimensions", "extra", "input.0", "input.1", "model"].sort(),
    );
  });
});

describe("embeddingInputs", () => {
  it("returns the inputs as a list whichever form was sent", () => {
    expect(embeddingInputs({ input: "a" })).toEqual(["a"]);
    expect(embeddingInputs({ input: ["a", "b"] })).toEqual(["a", "b"]);
  });
});
