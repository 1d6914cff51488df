import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ProviderMessage } from "../providers/provider.ts";
import { assertModelTakesInputs } from "./modelInputs.ts";
import { createModelRegistry } from "./modelRegistry.ts";
import { defaultInputsFor } from "./modelSpec.ts";

const registry = createModelRegistry([
  {
    id: "plain-text",
    provider: "simulator",
    upstream: "sim-small",
    family: "openai",
    inputMicrosPerMillion: 1,
    outputMicrosPerMillion: 1,
    contextWindow: 1000,
    maxOutputTokens: 100,
    inputs: ["text"],
  },
]);

const image: ProviderMessage = {
  role: "user",
  content: "look",
  parts: [
    { type: "text", text: "look" },
    { type: "image", source: { kind: "url", url: "https://x.test/a.png" } },
  ],
};

describe("model inputs", () => {
  it("default by the provider's model name", () => {
    expect(registry.get("gpt-4o-mini").inputs).toEqual(["text", "image", "file"]);
    expect(registry.get("gpt-4.1-nano").inputs).toEqual(["text", "image", "file"]);
    expect(registry.get("claude-haiku-4-5").inputs).toEqual(["text", "image", "file"]);
    expect(registry.get("sim-small").inputs).toEqual(["text", "image"]);
    expect(registry.get("text-embedding-3-small").inputs).toEqual(["text"]);
    expect(defaultInputsFor("gpt-4o-audio-preview")).toEqual(["text", "image", "audio", "file"]);
    expect(defaultInputsFor("llama-3.1-8b")).toEqual(["text"]);
  });

  it("are configurable per model, and must include text", () => {
    expect(registry.get("plain-text").inputs).toEqual(["text"]);
    expect(() =>
      createModelRegistry([{ ...registry.get("plain-text"), id: "no-text", inputs: ["image"] }]),
    ).toThrow(/inputs must include "text"/);
  });

  it("let a model take the parts it supports", () => {
    expect(() => assertModelTakesInputs(registry.get("gpt-4o"), [image])).not.toThrow();
    expect(() =>
      assertModelTakesInputs(registry.get("plain-text"), [{ role: "user", content: "hi" }]),
    ).not.toThrow();
  });

  it("refuse each part a model does not take, naming the model and the part's path", () => {
    const audio: ProviderMessage = {
      role: "user",
      content: "",
      parts: [{ type: "audio", format: "mp3", data: "SUQz" }],
    };
    let error: unknown;
    try {
      assertModelTakesInputs(registry.get("sim-small"), [
        { role: "system", content: "be brief" },
        image,
        audio,
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SluiceError);
    const refusal = error as SluiceError;
    expect(refusal.code).toBe("validation_error");
    expect(refusal.message).toBe(
      'messages.2.content.0: model "sim-small" does not take input_audio parts (it takes text, image).',
    );
    expect(refusal.details).toEqual({
      model: "sim-small",
      inputs: ["text", "image"],
      issues: [
        {
          path: "messages.2.content.0",
          message: 'model "sim-small" does not take input_audio parts (it takes text, image)',
        },
      ],
    });
    expect(() => assertModelTakesInputs(registry.get("plain-text"), [image])).toThrow(
      'messages.0.content.1: model "plain-text" does not take image_url parts (it takes text).',
    );
  });
});
