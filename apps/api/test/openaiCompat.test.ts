import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

describe("OpenAI-compatible REST with the official SDK", () => {
  it("completes, with usage and the sluice extension", async () => {
    const r = await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBeGreaterThan(0);
    expect((r as unknown as { sluice: Record<string, unknown> }).sluice).toMatchObject({
      model_used: "gpt-4o-mini",
      cascaded: false,
    });
  });

  it("answers a cascade model name and says which tier answered", async () => {
    const r = await ctx.client.chat.completions.create({
      model: "cascade:simulator",
      messages: [{ role: "user", content: "Hello there" }],
    });
    const sluice = (
      r as unknown as { sluice: { model_used: string; requested_model: string; cost_micros: number } }
    ).sluice;
    expect(sluice.requested_model).toBe("cascade:simulator");
    expect(sluice.model_used).toMatch(/^sim-/);
    expect(sluice.cost_micros).toBeGreaterThan(0);
  });

  it("streams with usage at the end, for a model and for a cascade", async () => {
    for (const model of ["sim-small", "cascade:simulator"]) {
      const stream = await ctx.client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Stream please" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish ??= chunk.choices[0]?.finish_reason;
        usage = chunk.usage ?? usage;
      }
      expect(text.length).toBeGreaterThan(0);
      expect(finish).toBe("stop");
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    }
  });

  it("accepts reasoning_effort, service_tier, prediction and text modalities; refuses blank content", async () => {
    const r = await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Rewrite: the cat sat" }],
      reasoning_effort: "low",
      service_tier: "auto",
      prediction: { type: "content", content: "the cat sat" },
      modalities: ["text"],
    });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const error = await ctx.client.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: " \n " }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      code: "validation_error",
      details: { issues: [{ path: "messages.0.content", message: "must not be only whitespace" }] },
    });
  });

  it("sends the same rate-limit headers on streamed and plain completions", async () => {
    const limited = await ctx.api.tenant("headers", "tenant", { rateLimitRpm: 100, rateLimitTpm: 50_000 });
    const call = async (stream: boolean) => {
      const response = await fetch(`${ctx.api.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${limited.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: "Hi" }], stream }),
      });
      await response.text();
      expect(response.status).toBe(200);
      return ["x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-reset"].map((name) =>
        response.headers.get(name),
      );
    };
    const plain = await call(false);
    const streamed = await call(true);
    expect(plain).toEqual(["100", "50000", expect.stringMatching(/^\d+$/)]);
    expect(streamed).toEqual(plain);
  });

  it("embeds and lists models including cascades", async () => {
    const e = await ctx.client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["a", "b"],
      dimensions: 16,
    });
    expect(e.data.map((d) => d.embedding.length)).toEqual([16, 16]);
    const ids: string[] = [];
    for await (const m of ctx.client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-4o-mini", "cascade:simulator"]));
  });

  it("answers bad input with 400 listing paths and the request id", async () => {
    const r = await fetch(`${ctx.api.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ctx.api.a.key}`,
        "content-type": "application/json",
        "x-request-id": "bad-1",
      },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [], temperature: 5 }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as {
      error: { code: string; details: { issues: { path: string }[] } };
      request_id: string;
    };
    expect(body.error.code).toBe("validation_error");
    expect(body.error.details.issues.map((i) => i.path).sort()).toEqual(["messages", "temperature"]);
    expect(body.request_id).toBe("bad-1");
    const broken = await fetch(`${ctx.api.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.api.a.key}`, "content-type": "application/json" },
      body: "{nope",
    });
    expect([broken.status, ((await broken.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      "validation_error",
    ]);
  });

  it("refuses missing and invalid keys with 401 in the envelope", async () => {
    for (const headers of [
      {},
      { authorization: "Bearer slk_AAAAAAAA_nopenopenopenopenopenopenopenope123" },
    ]) {
      const r = await fetch(`${ctx.api.url}/v1/models`, { headers });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
  });

  it("returns 429 with Retry-After past the rate limit and 402 once the budget is spent", async () => {
    const limited = await ctx.api.tenant("limited", "tenant", { rateLimitRpm: 2 });
    const sdk = new OpenAI({ apiKey: limited.key, baseURL: `${ctx.api.url}/v1`, maxRetries: 0 });
    const ask = () =>
      sdk.chat.completions.create({ model: "sim-small", messages: [{ role: "user", content: "x" }] });
    await ask();
    await ask();
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")),
    ).toBeGreaterThan(0);

    const poor = await ctx.api.tenant("poor", "tenant", { dailyBudgetMicros: 3_000 });
    const broke = new OpenAI({ apiKey: poor.key, baseURL: `${ctx.api.url}/v1`, maxRetries: 0 });
    // sim-small can produce up to 16,384 output tokens at $0.40/M: about 6,600 micro-dollars at most.
    const tooBig = await broke.chat.completions
      .create({ model: "sim-small", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect((tooBig as { status?: number }).status).toBe(402);
    expect((tooBig as { error?: { code?: string } }).error?.code).toBe("budget_exceeded");
    const spend = () =>
      broke.chat.completions.create({
        model: "sim-small",
        messages: [{ role: "user", content: "x" }],
        max_tokens: 1000,
      });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, spend));
    for (const o of outcomes)
      if (o.status === "rejected") expect((o.reason as { status?: number }).status).toBe(402);
    const spendRow = () =>
      t.db
        .selectFrom("tenantDailySpend")
        .select(["spentMicros", "reservedMicros"])
        .where("tenantId", "=", poor.id)
        .executeTakeFirstOrThrow();
    // The process's unused lease goes back once it is idle.
    await expect.poll(async () => (await spendRow()).reservedMicros, { timeout: 5_000 }).toBe(0);
    const spent = await spendRow();
    expect(spent.spentMicros).toBeGreaterThan(0);
    expect(spent.spentMicros).toBeLessThanOrEqual(3_000);
  });
});
