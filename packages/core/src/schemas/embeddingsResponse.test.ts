import { describe, expect, it } from "vitest";
import { embeddingsResponseSchema } from "./embeddingsResponse.ts";

const response = {
  object: "list",
  data: [
    { object: "embedding", index: 0, embedding: [0.0023, -0.0093, 0.0154] },
    { object: "embedding", index: 1, embedding: "AAAAPwAAgD8=" },
  ],
  model: "text-embedding-3-small",
  usage: { prompt_tokens: 8, total_tokens: 8 },
};

describe("embeddingsResponseSchema", () => {
  it("accepts float and base64 embeddings", () => {
    const parsed = embeddingsResponseSchema.parse(response);
    expect(parsed.data.map((d) => typeof d.embedding)).toEqual(["object", "string"]);
  });

  it.each([
    ["a non-list object", { ...response, object: "embedding" }],
    [
      "an embedding of strings",
      { ...response, data: [{ object: "embedding", index: 0, embedding: ["0.1"] }] },
    ],
    ["a missing index", { ...response, data: [{ object: "embedding", embedding: [0.1] }] }],
    ["missing usage", { ...response, usage: undefined }],
  ])("rejects %s", (_name, body) => {
    expect(embeddingsResponseSchema.safeParse(body).success).toBe(false);
  });
});
