import { insertTenant, listLlmCallsByRequest, type Tenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import { createLlmRuntime, type LlmRuntime } from "../llm/llmRuntime.ts";
import { costMicros } from "../models/cost.ts";
import { parseChatRequest } from "../schemas/chatRequest.ts";
import { testPngDataUrl } from "../testing/testImages.ts";
import { simulatorModelEntry } from "../testing/testModels.ts";
import { countChatTokens } from "../tokens/tokenCount.ts";
import { type BudgetGuard, createBudgetGuard } from "./budgetGuard.ts";
import { admitChat, type Guards, guardedComplete } from "./guardedCall.ts";
import { createRateLimiter } from "./rateLimiter.ts";

const t = useTestDatabase();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let runtime: LlmRuntime;
let budget: BudgetGuard;
let guards: Guards;
let tenant: Tenant;
/** Every amount the real budget guard was asked to reserve, in order. */
const reserved: number[] = [];

const model = (id: string, fields: Record<string, unknown>) =>
  simulatorModelEntry(id, { maxOutputTokens: 100, ...fields });

beforeAll(async () => {
  sim = await startSimulator({ latency: "none" });
  const config = parseConfig({
    SLUICE_SIMULATOR_URL: sim.url,
    SLUICE_HOME: "/nonexistent-sluice-home",
    SLUICE_MODELS: JSON.stringify([
      model("small-window", { contextWindow: 1_200 }),
      model("text-only", { inputs: ["text"] }),
    ]),
    SLUICE_CASCADES: JSON.stringify([
      { name: "sees-then-reads", tiers: [{ model: "sim-small" }, { model: "text-only" }] },
    ]),
  });
  runtime = createLlmRuntime(config, t.db);
  budget = createBudgetGuard(t.db, { holder: runtime.holder });
  const counting: BudgetGuard = {
    ...budget,
    reserve(who, maxCostMicros) {
      reserved.push(maxCostMicros);
      return budget.reserve(who, maxCostMicros);
    },
  };
  guards = { runtime, rateLimiter: createRateLimiter(t.db), budget: counting };
  tenant = await insertTenant(t.db, { name: "media-admission" });
});
afterAll(async () => {
  await guards.rateLimiter.close();
  await budget.close();
  await runtime.close();
  await sim.close();
});

const question = { type: "text", text: "What is in this picture?" };
const ask = (modelName: string, ...parts: unknown[]) =>
  toProviderRequest(
    parseChatRequest({
      model: modelName,
      max_tokens: 50,
      messages: [{ role: "user", content: [question, ...parts] }],
    }),
  );
const image = (url: string) => ({ type: "image_url", image_url: { url } });

async function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: unknown) => error as { code: string; message: string; details?: Record<string, unknown> },
  );
}

describe("admitting chats with images", () => {
  it("reserves budget for the image's tokens on top of the text's", async () => {
    const plain = ask("sim-small");
    const seeing = ask("sim-small", image(testPngDataUrl(1024, 1024)));
    reserved.length = 0;
    await (await admitChat(guards, { tenant }, plain)).reservation.settle(0);
    await (await admitChat(guards, { tenant }, seeing)).reservation.settle(0);
    const spec = runtime.registry.get("sim-small");
    const textTokens = countChatTokens(plain.messages, "openai", "sim-small");
    expect(countChatTokens(seeing.messages, "openai", "sim-small")).toBe(textTokens + 765);
    expect(reserved).toEqual([
      costMicros(spec, { inputTokens: textTokens, outputTokens: 50 }),
      costMicros(spec, { inputTokens: textTokens + 765, outputTokens: 50 }),
    ]);
  });

  it("answers with the simulator's count of the image in the prompt tokens", async () => {
    const plain = await guardedComplete(guards, { tenant }, ask("sim-small"), {});
    const seeing = await guardedComplete(
      guards,
      { tenant },
      ask("sim-small", image(testPngDataUrl(1024, 1024))),
      {},
    );
    expect(seeing.completion.usage.inputTokens - plain.completion.usage.inputTokens).toBe(765);
  });

  it("refuses an image that pushes the prompt past the context window, before any call", async () => {
    await guardedComplete(guards, { tenant }, ask("small-window"), { requestId: "fits" });
    const error = await refusal(
      guardedComplete(guards, { tenant }, ask("small-window", image("https://example.com/cat.png")), {
        requestId: "too-big",
      }),
    );
    expect(error.code).toBe("context_length_exceeded");
    expect(error.details).toMatchObject({ model: "small-window", maxTokens: 50 });
    await runtime.callLog.flush();
    expect(await listLlmCallsByRequest(t.db, "fits")).toHaveLength(1);
    expect(await listLlmCallsByRequest(t.db, "too-big")).toHaveLength(0);
  });

  it("refuses an image a cascade's later tier cannot take before the first tier is paid", async () => {
    reserved.length = 0;
    const error = await refusal(
      guardedComplete(guards, { tenant }, ask("cascade:sees-then-reads", image(testPngDataUrl(8, 8))), {
        requestId: "cascade-image",
      }),
    );
    expect(error.code).toBe("validation_error");
    expect(error.message).toContain('messages.0.content.1: model "text-only" does not take image_url parts');
    expect(reserved).toEqual([]);
    await runtime.callLog.flush();
    expect(await listLlmCallsByRequest(t.db, "cascade-image")).toHaveLength(0);
  });
});
