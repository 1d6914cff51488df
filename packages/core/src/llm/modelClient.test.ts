import { insertTenant, listLlmCallsByRequest } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { costMicros } from "../models/cost.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import { createResilienceRegistry } from "../resilience/resilienceRegistry.ts";
import { createCallLogWriter } from "./callLogWriter.ts";
import { createModelClient, type ModelClient, type ModelStreamEvent } from "./modelClient.ts";
import { createResponseCache } from "./responseCache.ts";

const t = useTestDatabase();
let simulator: Awaited<ReturnType<typeof startSimulator>>;
let client: ModelClient;
let tenantId: string;
const registry = createModelRegistry();
const callLog = () => createCallLogWriter(t.db, { flushIntervalMs: 5 });

function clientFor(simulatorUrl: string, writer = callLog()): ModelClient {
  const providers = createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: simulatorUrl }).providers);
  return createModelClient({
    registry,
    providers,
    callLog: writer,
    cache: createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" }),
  });
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, seed: 7, latency: "none" });
  client = clientFor(simulator.url);
  tenantId = (await insertTenant(t.db, { name: "model-client" })).id;
});
afterAll(async () => {
  await simulator.close();
});

async function collect(events: AsyncIterable<ModelStreamEvent>): Promise<ModelStreamEvent[]> {
  const out: ModelStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe("model client over the real SDKs against the simulator", () => {
  it("completes through the OpenAI SDK, prices the usage and logs the call", async () => {
    const outcome = await client.chat(
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "Say something short." }], maxTokens: 40 },
      { tenantId, requestId: "req-openai-1" },
    );
    expect(outcome.result.content.length).toBeGreaterThan(0);
    expect(outcome.provider).toBe("simulator");
    expect(outcome.result.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.costMicros).toBe(costMicros(registry.get("gpt-4o-mini"), outcome.result.usage));
    await expect.poll(() => listLlmCallsByRequest(t.db, "req-openai-1")).toHaveLength(1);
    const [row] = await listLlmCallsByRequest(t.db, "req-openai-1");
    expect(row).toMatchObject({ tenantId, model: "gpt-4o-mini", status: "ok", cacheHit: false });
    expect(row?.costMicros).toBe(outcome.costMicros);
  });

  it("completes through the Anthropic SDK for an Anthropic model", async () => {
    const outcome = await client.chat({
      model: "claude-haiku-4-5",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
      maxTokens: 50,
    });
    expect(outcome.result.content.length).toBeGreaterThan(0);
    expect(outcome.costMicros).toBe(costMicros(registry.get("claude-haiku-4-5"), outcome.result.usage));
  });

  it("streams deltas then one done event whose text matches the non-streamed answer", async () => {
    for (const model of ["gpt-4o-mini", "claude-haiku-4-5"]) {
      const request = {
        model,
        messages: [{ role: "user" as const, content: "Tell me about rivers." }],
        maxTokens: 60,
        temperature: 0,
      };
      const events = await collect(client.stream(request));
      const done = events.at(-1);
      expect(done?.type).toBe("done");
      expect(events.slice(0, -1).every((e) => e.type === "delta")).toBe(true);
      const text = events.flatMap((e) => (e.type === "delta" ? [e.text] : [])).join("");
      const whole = await client.chat(request, { cache: "off" });
      expect(text).toBe(whole.result.content);
      if (done?.type === "done") expect(done.usage).toEqual(whole.result.usage);
    }
  });

  it("returns schema-valid JSON for a json_schema request and logprobs when asked", async () => {
    const outcome = await client.chat({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Give a color." }],
      responseFormat: {
        type: "json_schema",
        name: "color",
        schema: {
          type: "object",
          properties: { name: { type: "string" }, hex: { type: "string" } },
          required: ["name", "hex"],
          additionalProperties: false,
        },
      },
      logprobs: true,
      topLogprobs: 2,
    });
    const parsed = JSON.parse(outcome.result.content) as Record<string, unknown>;
    expect(typeof parsed.name).toBe("string");
    expect(typeof parsed.hex).toBe("string");
    expect(outcome.result.logprobs?.length).toBeGreaterThan(0);
    expect(outcome.result.logprobs?.[0]?.logprob).toBeLessThanOrEqual(0);
  });

  it("embeds through the OpenAI SDK with one vector per input", async () => {
    const outcome = await client.embed({
      model: "text-embedding-3-small",
      input: ["alpha", "beta"],
      dimensions: 64,
    });
    expect(outcome.vectors).toHaveLength(2);
    expect(outcome.vectors[0]).toHaveLength(64);
    const norm = Math.hypot(...(outcome.vectors[0] ?? []));
    expect(norm).toBeCloseTo(1, 5);
  });

  it("serves a deterministic request from the cache at zero cost the second time", async () => {
    const request = {
      model: "sim-small",
      messages: [{ role: "user" as const, content: "cache me" }],
      temperature: 0,
    };
    const first = await client.chat(request, { tenantId, requestId: "req-cache-1" });
    const second = await client.chat(request, { tenantId, requestId: "req-cache-2" });
    expect([first.cacheHit, second.cacheHit]).toEqual([false, true]);
    expect(second.costMicros).toBe(0);
    expect(second.result).toEqual(first.result);
    await expect.poll(async () => (await listLlmCallsByRequest(t.db, "req-cache-2"))[0]?.cacheHit).toBe(true);
  });

  it("rejects an unknown model and a chat call to an embedding model", async () => {
    await expect(
      client.chat({ model: "gpt-9", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(
      client.chat({ model: "text-embedding-3-small", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(SluiceError);
  });

  it("refuses a prompt that cannot fit the context before calling upstream", async () => {
    const huge = "word ".repeat(130_000);
    await expect(
      client.chat(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: huge }] },
        { requestId: "req-ctx-1" },
      ),
    ).rejects.toMatchObject({ code: "context_length_exceeded" });
    await expect(
      client.chat({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "short" }],
        maxTokens: 200_000,
      }),
    ).rejects.toMatchObject({ code: "context_length_exceeded" });
    expect(await listLlmCallsByRequest(t.db, "req-ctx-1")).toHaveLength(0);
  });

  it("retries a rate-limited upstream after its Retry-After, then gives up with rate_limit_exceeded", async () => {
    const limited = await startSimulator({ faults: { "429": 1 } });
    try {
      const retries: number[] = [];
      const resilient = createModelClient({
        registry,
        providers: createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: limited.url }).providers),
        resilience: createResilienceRegistry({
          defaults: { maxAttempts: 2 },
          hooks: { onRetry: (e) => retries.push(e.delayMs) },
        }),
      });
      const started = performance.now();
      await expect(
        resilient.chat({ model: "sim-small", messages: [{ role: "user", content: "x" }] }),
      ).rejects.toMatchObject({ code: "rate_limit_exceeded", retryAfterMs: 1000 });
      expect(retries).toEqual([1000]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    } finally {
      await limited.close();
    }
  });

  it("opens the breaker on a failing upstream and then rejects without calling it", async () => {
    const failing = await startSimulator({ faults: { "503": 1 } });
    try {
      const resilience = createResilienceRegistry({ defaults: { maxAttempts: 1, breakerFailures: 2 } });
      const resilient = createModelClient({
        registry,
        providers: createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: failing.url }).providers),
        resilience,
      });
      const call = () => resilient.chat({ model: "sim-medium", messages: [{ role: "user", content: "x" }] });
      await expect(call()).rejects.toMatchObject({ code: "service_unavailable" });
      await expect(call()).rejects.toMatchObject({ code: "service_unavailable" });
      expect(resilience.breakerState("sim-medium")).toBe("open");
      await expect(call()).rejects.toMatchObject({ details: { breaker: "open" } });
    } finally {
      await failing.close();
    }
  });

  it("stops an in-flight streaming call when the signal fires", async () => {
    const controller = new AbortController();
    const events: ModelStreamEvent[] = [];
    const run = (async () => {
      for await (const e of client.stream(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: "a long story" }], maxTokens: 2000 },
        { signal: controller.signal, requestId: "req-abort-1" },
      )) {
        events.push(e);
        if (events.length === 2) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(events.every((e) => e.type === "delta")).toBe(true);
    await expect
      .poll(async () => (await listLlmCallsByRequest(t.db, "req-abort-1"))[0]?.status)
      .toBe("aborted");
  });
});
