import Anthropic from "@anthropic-ai/sdk";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { postAnthropic, useAnthropicApi } from "./support/anthropicClient.ts";

const t = useTestDatabase();
const ctx = useAnthropicApi(t, {
  worker: { batchPollMs: 100 },
  batchTimings: { validatingMs: 100, inProgressMs: 400, finalizingMs: 100 },
});

const ask = (content: string, model = "gpt-4o-mini") => ({
  model,
  max_tokens: 64,
  messages: [{ role: "user" as const, content }],
});

/** Waits (polling the API) until the batch has ended. */
async function ended(id: string) {
  await expect
    .poll(async () => (await ctx.client.messages.batches.retrieve(id)).processing_status, {
      timeout: 20_000,
      interval: 100,
    })
    .toBe("ended");
  return ctx.client.messages.batches.retrieve(id);
}

describe("Message Batches through the Anthropic SDK", () => {
  it.each(["gpt-4o-mini", "claude-haiku-4-5"])("runs a batch for %s and reads its results", async (model) => {
    const batch = await ctx.client.messages.batches.create({
      requests: [
        { custom_id: "first", params: ask("Say hello to Oslo", model) },
        { custom_id: "second", params: { ...ask("Say hello to Bergen", model), system: "Be brief." } },
      ],
    });
    expect(batch).toMatchObject({
      type: "message_batch",
      processing_status: "in_progress",
      results_url: null,
    });
    expect(batch.request_counts.processing).toBe(2);

    const done = await ended(batch.id);
    expect(done.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 });
    expect(done.ended_at).not.toBeNull();
    expect(done.results_url).toBe(`${ctx.api.url}/v1/messages/batches/${batch.id}/results`);

    const results: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
    for await (const line of await ctx.client.messages.batches.results(batch.id)) results.push(line);
    expect(results.map((r) => r.custom_id)).toEqual(["first", "second"]);
    for (const { result } of results) {
      if (result.type !== "succeeded") throw new Error(`expected success, got ${result.type}`);
      expect(result.message).toMatchObject({ type: "message", role: "assistant", model });
      expect(result.message.content[0]?.type).toBe("text");
      expect(result.message.usage.output_tokens).toBeGreaterThan(0);
    }
  });

  it("lists the tenant's batches newest first, page by page, and not another tenant's", async () => {
    const made = [];
    for (const n of [1, 2, 3])
      made.push(
        await ctx.client.messages.batches.create({
          requests: [{ custom_id: `p${n}`, params: ask(`page ${n}`) }],
        }),
      );
    const first = await ctx.client.messages.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([made[2]?.id, made[1]?.id]);
    expect(first.has_more).toBe(true);
    const second = await ctx.client.messages.batches.list({ limit: 2, after_id: first.last_id ?? "" });
    expect(second.data[0]?.id).toBe(made[0]?.id);

    const other = new Anthropic({ apiKey: ctx.api.b.key, baseURL: ctx.api.url, maxRetries: 0 });
    const theirs = await other.messages.batches.list({ limit: 100 });
    expect(theirs.data.map((b) => b.id)).not.toContain(made[0]?.id);
    await expect(other.messages.batches.retrieve(made[0]?.id ?? "")).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
    for (const batch of made) await ended(batch.id);
  });

  it("cancels a running batch, which ends with its requests canceled or answered", async () => {
    const batch = await ctx.client.messages.batches.create({
      requests: [
        { custom_id: "a", params: ask("cancel me") },
        { custom_id: "b", params: ask("and me") },
      ],
    });
    const cancelling = await ctx.client.messages.batches.cancel(batch.id);
    expect(cancelling.processing_status).toBe("canceling");
    expect(cancelling.cancel_initiated_at).not.toBeNull();
    const done = await ended(batch.id);
    const { canceled, succeeded } = done.request_counts;
    expect(canceled + succeeded).toBe(2);
    const kinds = [];
    for await (const line of await ctx.client.messages.batches.results(batch.id))
      kinds.push(line.result.type);
    expect(kinds.sort()).toEqual(
      [...Array(canceled).fill("canceled"), ...Array(succeeded).fill("succeeded")].sort(),
    );
  });

  it("refuses results before the batch has ended, in Anthropic's shape", async () => {
    const batch = await ctx.client.messages.batches.create({
      requests: [{ custom_id: "x", params: ask("slow") }],
    });
    const early = await fetch(`${ctx.api.url}/v1/messages/batches/${batch.id}/results`, {
      headers: { "x-api-key": ctx.api.a.key },
    });
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    await ended(batch.id);
  });

  it.each([
    [
      "requests naming different models",
      [
        { custom_id: "a", params: ask("hi") },
        { custom_id: "b", params: ask("hi", "claude-haiku-4-5") },
      ],
      "requests.1.params.model",
    ],
    [
      "a streamed request",
      [{ custom_id: "a", params: { ...ask("hi"), stream: true } }],
      "requests.0.params.stream",
    ],
    [
      "a request without max_tokens",
      [{ custom_id: "a", params: { model: "gpt-4o-mini", messages: [] } }],
      "requests.0.params.max_tokens",
    ],
    ["a bad custom_id", [{ custom_id: "no spaces", params: ask("hi") }], "requests.0.custom_id"],
    [
      "an http:// image URL",
      [
        {
          custom_id: "a",
          params: {
            ...ask("hi"),
            messages: [
              {
                role: "user",
                content: [{ type: "image", source: { type: "url", url: "http://example.com/cat.png" } }],
              },
            ],
          },
        },
      ],
      "requests.0.params.messages.0.content.0.source.url",
    ],
    [
      "a document that is not a PDF",
      [
        {
          custom_id: "a",
          params: {
            ...ask("hi"),
            messages: [
              {
                role: "user",
                content: [
                  { type: "document", source: { type: "base64", media_type: "text/csv", data: "YQ==" } },
                ],
              },
            ],
          },
        },
      ],
      "requests.0.params.messages.0.content.0.source.media_type",
    ],
  ])("answers 400 naming the path for %s", async (_name, requests, path) => {
    const r = await postAnthropic(ctx.api, "/v1/messages/batches", { requests });
    expect([r.status, r.json.type, r.json.error.type]).toEqual([400, "error", "invalid_request_error"]);
    expect(r.paths).toContain(path);
  });
});
