import { type RunningSimulator, startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createOpenAiProvider } from "./openaiProvider.ts";
import type { Provider, ProviderResponsesApi, ProviderResponsesEvent } from "./provider.ts";
import { isAbort } from "./providerErrors.ts";

let sim: RunningSimulator;
let provider: Provider;
let api: ProviderResponsesApi;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5 });
  provider = createOpenAiProvider({
    name: "sim-openai",
    apiKey: "k",
    baseUrl: `${sim.url}/v1`,
    timeoutMs: 2_000,
  });
  if (!provider.responses) throw new Error("an OpenAI provider serves the Responses API");
  api = provider.responses;
});
afterAll(async () => {
  await provider.close?.();
  await sim.close();
});

const signal = () => new AbortController().signal;

async function collect(body: Parameters<ProviderResponsesApi["stream"]>[0]) {
  const events: ProviderResponsesEvent[] = [];
  for await (const event of api.stream(body, { signal: signal() })) events.push(event);
  return events;
}

async function failure(run: () => Promise<unknown>): Promise<SluiceError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw new Error(`expected a SluiceError, got ${String(error)}`);
  }
  throw new Error("expected a failure");
}

describe("the OpenAI provider's Responses API", () => {
  it("creates a response and reads its usage", async () => {
    const { response, usage } = await api.create(
      { model: "gpt-4o-mini", input: "Hello" },
      { signal: signal() },
    );
    expect([response.object, response.status]).toEqual(["response", "completed"]);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(response.usage).toMatchObject({
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
    });
  });

  it("streams the provider's events and ends with done carrying the same usage as create", async () => {
    const body = { model: "gpt-4o-mini", input: "Stream this" };
    const whole = await api.create(body, { signal: signal() });
    const events = await collect(body);
    const done = events.at(-1);
    if (done?.type !== "done") throw new Error("expected done last");
    expect(done.event.type).toBe("response.completed");
    expect(done.usage).toEqual(whole.usage);
    expect(events.slice(0, -1).every((e) => e.type === "event")).toBe(true);
    expect(events[0]?.event.type).toBe("response.created");
  });

  it("maps a refused request and a cut stream to SluiceErrors", async () => {
    const refused = await failure(() =>
      api.create({ model: "no-such-model", input: "hi" }, { signal: signal() }),
    );
    expect(refused.code).toBe("model_error");
    sim.setFaults({ cut: 1 });
    try {
      const cut = await failure(() => collect({ model: "gpt-4o-mini", input: "Cut me off" }));
      expect(cut.code).toBe("model_error");
      expect(cut.message).toMatch(/cut|ended before/);
    } finally {
      sim.setFaults({});
    }
    sim.setFaults({ 429: 1 });
    try {
      const limited = await failure(() =>
        api.create({ model: "gpt-4o-mini", input: "hi" }, { signal: signal() }),
      );
      expect([limited.code, limited.retryAfterMs]).toEqual(["rate_limit_exceeded", 1000]);
    } finally {
      sim.setFaults({});
    }
  });

  it("reports the caller's abort as an abort, not a failure", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await api.create({ model: "gpt-4o-mini", input: "hi" }, { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbort(error)).toBe(true);
  });
});
