import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { eventSourceClient } from "./testApi.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

const costOf = (r: unknown) => (r as { sluice: { cost_micros: number } }).sluice.cost_micros;
const messages = [{ role: "user" as const, content: "Name three colours" }];

/** The error the SDK raised for a refused request. */
async function refusal(request: Promise<unknown>): Promise<{ status?: number; message: string }> {
  try {
    await request;
  } catch (error) {
    return error as { status?: number; message: string };
  }
  throw new Error("the request was not refused");
}

describe("n and logprobs on /v1/chat/completions with the official SDK", () => {
  it("returns n choices with indexes 0..n-1, usage and cost covering all of them", async () => {
    const one = await ctx.client.chat.completions.create({ model: "sim-small", messages });
    const three = await ctx.client.chat.completions.create({
      model: "sim-small",
      messages,
      n: 3,
      logprobs: true,
    });
    expect(three.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(three.choices.map((c) => c.message.content)).size).toBe(3);
    for (const c of three.choices) {
      expect(c.message.role).toBe("assistant");
      expect(c.finish_reason).toBe("stop");
    }
    // The simulator emits one logprob per completion token, so their sum is what usage must count.
    const tokens = three.choices.reduce((sum, c) => sum + (c.logprobs?.content?.length ?? 0), 0);
    expect(three.usage?.completion_tokens).toBe(tokens);
    expect(three.usage?.prompt_tokens).toBe(one.usage?.prompt_tokens);
    expect(three.usage!.completion_tokens).toBeGreaterThan(one.usage!.completion_tokens);
    expect(costOf(three)).toBeGreaterThan(costOf(one));
  });

  it("returns per-token logprobs with top_logprobs alternatives in OpenAI's shape", async () => {
    const r = await ctx.client.chat.completions.create({
      model: "sim-small",
      messages,
      logprobs: true,
      top_logprobs: 2,
    });
    const content = r.choices[0]?.logprobs?.content ?? [];
    expect(content.length).toBe(r.usage?.completion_tokens);
    expect(content.map((t) => t.token).join("")).toBe(r.choices[0]?.message.content);
    for (const token of content) {
      expect(token.logprob).toBeLessThanOrEqual(0);
      expect(token.bytes).toEqual([...Buffer.from(token.token)]);
      expect(token.top_logprobs).toHaveLength(2);
      for (const alt of token.top_logprobs) expect(typeof alt.logprob).toBe("number");
    }
  });

  it("answers plain requests with one choice and logprobs null", async () => {
    const r = await ctx.client.chat.completions.create({ model: "sim-small", messages });
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: "stop" });
  });

  it("streams n > 1 choices, each chunk marked with its choice's index", async () => {
    const whole = await ctx.client.chat.completions.create({ model: "sim-small", messages, n: 2 });
    const stream = await ctx.client.chat.completions.create({
      model: "sim-small",
      messages,
      n: 2,
      stream: true,
    });
    const texts = ["", ""];
    const finishes: (string | null)[] = [null, null];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? "";
        finishes[choice.index] = choice.finish_reason ?? finishes[choice.index] ?? null;
      }
    }
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
    expect(finishes).toEqual(whole.choices.map((c) => c.finish_reason));
  });

  it("refuses streamed n > 1 for Anthropic and streamed logprobs for a cascade with a 400", async () => {
    const anthropic = await refusal(
      ctx.client.chat.completions.create({ model: "claude-haiku-4-5", messages, n: 2, stream: true }),
    );
    expect([anthropic.status, anthropic.message]).toEqual([
      400,
      expect.stringContaining("n > 1 is not supported"),
    ]);
    const cascade = await refusal(
      ctx.client.chat.completions.create({
        model: "cascade:simulator",
        messages,
        logprobs: true,
        stream: true,
      }),
    );
    expect([cascade.status, cascade.message]).toEqual([
      400,
      expect.stringContaining("logprobs: true is not supported for cascades"),
    ]);
  });

  it("refuses n > 1 and logprobs for a cascade, naming the field", async () => {
    const many = await refusal(
      ctx.client.chat.completions.create({ model: "cascade:simulator", messages, n: 2 }),
    );
    expect(many.status).toBe(400);
    expect(many.message).toContain("n > 1 is not supported for cascades");
    const withLogprobs = await refusal(
      ctx.client.chat.completions.create({ model: "cascade:simulator", messages, logprobs: true }),
    );
    expect(withLogprobs.status).toBe(400);
    expect(withLogprobs.message).toContain("logprobs: true is not supported for cascades");
  });

  it("gives typed tRPC clients every choice of chat.complete", async () => {
    const trpc = eventSourceClient<AppRouter>({
      url: `${ctx.api.url}/trpc`,
      headers: { authorization: `Bearer ${ctx.api.a.key}` },
    });
    const completion = await trpc.chat.complete.mutate({ model: "sim-small", messages, n: 2 });
    expect(completion.choices).toHaveLength(2);
    expect(completion.choices[0]?.content).toBe(completion.content);
    expect(completion.choices[1]?.content).not.toBe(completion.content);
  });
});
