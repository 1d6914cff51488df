import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManualClock, manualClock } from "../clock.ts";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let clock: ManualClock;
let client: Anthropic;

beforeAll(async () => {
  clock = manualClock();
  sim = await startSimulator({
    clock,
    batchTimings: { validatingMs: 0, inProgressMs: 5_000, finalizingMs: 500 },
  });
  client = new Anthropic({ apiKey: "k", baseURL: sim.url, maxRetries: 0 });
});
afterAll(() => sim.close());

const request = (custom_id: string, model = "claude-haiku-4-5") => ({
  custom_id,
  params: { model, max_tokens: 50, messages: [{ role: "user" as const, content: `hello ${custom_id}` }] },
});

describe("Anthropic message batches", () => {
  it("ends after the clock passes and serves results for every outcome", async () => {
    const batch = await client.messages.batches.create({
      requests: [request("ok"), request("err", "sim-error"), request("late", "sim-expire")],
    });
    expect(batch.processing_status).toBe("in_progress");
    expect(batch.request_counts.processing).toBe(3);
    // Requests stay `processing` until the whole batch has ended, as Anthropic documents.
    clock.advance(2_000);
    expect((await client.messages.batches.retrieve(batch.id)).request_counts).toEqual({
      processing: 3,
      succeeded: 0,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    clock.advance(3_500);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe("ended");
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 1,
      errored: 1,
      canceled: 0,
      expired: 1,
    });
    const results: Record<string, string> = {};
    for await (const r of await client.messages.batches.results(batch.id))
      results[r.custom_id] = r.result.type;
    expect(results).toEqual({ ok: "succeeded", err: "errored", late: "expired" });
  });

  it("cancels in flight and reports canceled requests", async () => {
    const batch = await client.messages.batches.create({ requests: [request("a"), request("b")] });
    const canceling = await client.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe("canceling");
    clock.advance(500);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect([ended.processing_status, ended.request_counts.canceled]).toEqual(["ended", 2]);
  });

  it("keeps the results of requests worked through before a cancel; the rest are canceled", async () => {
    const batch = await client.messages.batches.create({
      requests: [request("w1"), request("w2"), request("w3"), request("w4")],
    });
    clock.advance(2_500);
    const canceling = await client.messages.batches.cancel(batch.id);
    expect([canceling.processing_status, canceling.request_counts.processing]).toEqual(["canceling", 4]);
    clock.advance(500);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 2,
      expired: 0,
    });
    const results: Record<string, string> = {};
    for await (const r of await client.messages.batches.results(batch.id))
      results[r.custom_id] = r.result.type;
    expect(results).toEqual({ w1: "succeeded", w2: "succeeded", w3: "canceled", w4: "canceled" });
  });

  it("rejects duplicate custom ids and lists batches", async () => {
    await expect(
      client.messages.batches.create({ requests: [request("d"), request("d")] }),
    ).rejects.toMatchObject({
      status: 400,
    });
    const page = await client.messages.batches.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
  });

  it("breaks the tool calls of every request when the create call sends x-sim-invalid-tool-calls", async () => {
    const toolRequest = (custom_id: string) => ({
      custom_id,
      params: {
        // A weak model: at rate 1 every one of its calls breaks (stronger models break less).
        model: "sim-small",
        max_tokens: 200,
        messages: [{ role: "user" as const, content: `Weather in city ${custom_id}?` }],
        tools: [
          {
            name: "get_weather",
            input_schema: {
              type: "object" as const,
              properties: { city: { type: "string" } },
              required: ["city"],
            },
          },
        ],
        tool_choice: { type: "any" as const },
      },
    });
    const inputsOf = async (headers: Record<string, string>) => {
      const batch = await client.messages.batches.create(
        { requests: [toolRequest("t1"), toolRequest("t2")] },
        { headers },
      );
      clock.advance(6_000);
      const inputs: unknown[] = [];
      for await (const r of await client.messages.batches.results(batch.id)) {
        if (r.result.type !== "succeeded") throw new Error(`${r.custom_id} ${r.result.type}`);
        const call = r.result.message.content.find((b) => b.type === "tool_use");
        inputs.push(call?.type === "tool_use" ? call.input : undefined);
      }
      return inputs;
    };
    const valid = (input: unknown) => typeof (input as { city?: unknown } | undefined)?.city === "string";
    expect((await inputsOf({})).map(valid)).toEqual([true, true]);
    expect((await inputsOf({ "x-sim-invalid-tool-calls": "1" })).map(valid)).toEqual([false, false]);
  });
});
