import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "./server.ts";

let sim: RunningSimulator;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startSimulator();
  // Long enough for a first request on a busy machine; the timeout fault sets its own.
  openai = new OpenAI({ apiKey: "k", baseURL: `${sim.url}/v1`, maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ apiKey: "k", baseURL: sim.url, maxRetries: 0, timeout: 10_000 });
});
afterAll(() => sim.close());

const chat = (fault: string, extra: Record<string, string> = {}, timeout?: number) =>
  openai.chat.completions.create(
    { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
    { headers: { "x-sim-fault": fault, ...extra }, ...(timeout ? { timeout } : {}) },
  );

describe("fault injection by request header", () => {
  it("429 carries Retry-After in each provider's format", async () => {
    const e = await chat("429", { "x-sim-retry-after": "7" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect((e as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("7");
    const a = await anthropic.messages
      .create(
        { model: "claude-haiku-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] },
        { headers: { "x-sim-fault": "429" } },
      )
      .catch((x: unknown) => x);
    expect(a).toBeInstanceOf(Anthropic.RateLimitError);
    expect((a as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
      type: "error",
      error: { type: "rate_limit_error" },
    });
  });

  it("500 and 503 become the SDK's server errors", async () => {
    await expect(chat("500")).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(chat("503")).rejects.toMatchObject({ status: 503 });
  });

  it("reset and timeout become connection errors", async () => {
    await expect(chat("reset")).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(chat("timeout", {}, 300)).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("a cut stream never completes", async () => {
    const run = async () => {
      const stream = await openai.chat.completions.create(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], stream: true },
        { headers: { "x-sim-fault": "cut" } },
      );
      let finished = false;
      for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) finished = true;
      return finished;
    };
    const outcome = await run().catch(() => "threw");
    expect(outcome === "threw" || outcome === false).toBe(true);
  });

  it("honours a probability of zero", async () => {
    const r = await chat("500", { "x-sim-fault-probability": "0" });
    expect(r.choices).toHaveLength(1);
  });
});
