import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import { createProviderRegistry } from "./providerRegistry.ts";

const servedBy = (provider: string) => ({ id: `${provider}-model`, provider }) as ModelSpec;

describe("provider registry", () => {
  it("serves /v1/responses natively on OpenAI itself, and on an extra endpoint only when it says it can", () => {
    const registry = createProviderRegistry(
      parseConfig({
        OPENAI_API_KEY: "sk-test",
        SLUICE_PROVIDERS: JSON.stringify({
          ollama: { baseUrl: "http://127.0.0.1:11434/v1" },
          vllm: { baseUrl: "http://127.0.0.1:8000/v1", responsesApi: true },
        }),
      }).providers,
    );
    expect(registry.forModel(servedBy("openai")).responses).toBeDefined();
    expect(registry.forModel(servedBy("ollama")).responses).toBeUndefined();
    expect(registry.forModel(servedBy("vllm")).responses).toBeDefined();
  });

  it("refuses a responsesApi setting that is not a boolean, naming it", () => {
    expect(() =>
      parseConfig({
        SLUICE_PROVIDERS: JSON.stringify({ ollama: { baseUrl: "http://x/v1", responsesApi: "yes" } }),
      }),
    ).toThrow(/SLUICE_PROVIDERS.*responsesApi/s);
  });
});
