import { describe, expect, it } from "vitest";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import { parseChatRequest } from "../schemas/chatRequest.ts";
import { toParams as anthropicParams } from "./anthropicParams.ts";
import { toParams as openaiParams } from "./openaiProvider.ts";

const body = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Rewrite: the cat sat" }],
  reasoning_effort: "low",
  service_tier: "flex",
  prediction: { type: "content", content: "the cat sat" },
  modalities: ["text"],
};

describe("request options OpenAI-wire providers take", () => {
  it("passes reasoning_effort, service_tier and prediction to OpenAI-wire providers", () => {
    const params = openaiParams(toProviderRequest(parseChatRequest(body)));
    expect(params).toMatchObject({
      reasoning_effort: "low",
      service_tier: "flex",
      prediction: { type: "content", content: "the cat sat" },
    });
    expect(params).not.toHaveProperty("modalities");
  });

  it("leaves them out of Anthropic requests, which have no such options", () => {
    const params = anthropicParams(
      { ...toProviderRequest(parseChatRequest(body)), model: "claude-haiku-4-5" },
      1024,
    );
    for (const key of ["reasoning_effort", "service_tier", "prediction", "modalities"])
      expect(params).not.toHaveProperty(key);
  });

  it("refuses audio output and unknown values, naming the field", () => {
    const paths = (input: unknown) => {
      try {
        parseChatRequest(input);
        return [];
      } catch (error) {
        return ((error as { details?: { issues?: { path: string }[] } }).details?.issues ?? []).map(
          (issue) => issue.path,
        );
      }
    };
    expect(paths({ ...body, modalities: ["text", "audio"] })).toEqual(["modalities"]);
    expect(paths({ ...body, reasoning_effort: "extreme" })).toEqual(["reasoning_effort"]);
    expect(paths({ ...body, service_tier: "gold" })).toEqual(["service_tier"]);
    expect(paths({ ...body, prediction: { type: "content", content: "  " } })).toEqual([
      "prediction.content",
    ]);
  });
});
