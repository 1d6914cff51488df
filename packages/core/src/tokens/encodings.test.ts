import { describe, expect, it } from "vitest";
import { encodingForModel, tokenCounter } from "./encodings.ts";

describe("encodingForModel", () => {
  it.each([
    ["gpt-4o", "o200k_base"],
    ["gpt-4o-mini", "o200k_base"],
    ["gpt-4.1-nano", "o200k_base"],
    ["o3-mini", "o200k_base"],
    ["gpt-5", "o200k_base"],
    ["my-local-llama", "o200k_base"],
    ["cascade:fast", "o200k_base"],
    ["gpt-4", "cl100k_base"],
    ["gpt-4-turbo", "cl100k_base"],
    ["gpt-4-0613", "cl100k_base"],
    ["gpt-3.5-turbo", "cl100k_base"],
    ["text-embedding-3-small", "cl100k_base"],
    ["openai/gpt-4-turbo", "cl100k_base"],
    ["GPT-4", "cl100k_base"],
  ])("%s uses %s", (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });
});

describe("tokenCounter", () => {
  it("returns the same cached counter on every call", () => {
    expect(tokenCounter("o200k_base")).toBe(tokenCounter("o200k_base"));
    expect(tokenCounter("o200k_base")).not.toBe(tokenCounter("cl100k_base"));
  });
});
