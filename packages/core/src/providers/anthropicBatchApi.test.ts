import { type ManualClock, manualClock, type RunningSimulator, startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnthropicBatchApi } from "./anthropicBatchApi.ts";
import { createAnthropicProvider } from "./anthropicProvider.ts";
import type { ProviderBatchApi } from "./batchApi.ts";
import {
  collect,
  failure,
  listOf,
  recordingProxy,
  requestsOf,
  signal,
  succeeded,
  user,
} from "./batchApiTestKit.ts";

describe("Anthropic batch API over the simulator", () => {
  let sim: RunningSimulator;
  let clock: ManualClock;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let api: ProviderBatchApi;

  beforeAll(async () => {
    clock = manualClock();
    sim = await startSimulator({
      clock,
      batchTimings: { validatingMs: 0, inProgressMs: 5_000, finalizingMs: 500 },
    });
    proxy = await recordingProxy(sim.url);
    api = createAnthropicProvider({ name: "sim-anthropic", apiKey: "k", baseUrl: proxy.url }).batches!;
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
  });

  it("sends the provider's params, runs in_progress → completed and streams each item's result", async () => {
    const before = proxy.seen.length;
    const items = [user("a", "claude-haiku-4-5", 30), user("b", "sim-error"), user("c", "claude-haiku-4-5")];
    const created = await api.create(listOf(items), { signal: signal() });
    expect(created).toMatchObject({
      status: "in_progress",
      counts: { total: 3, succeeded: 0, errored: 0 },
      inputFileId: null,
      outputFileId: null,
      errorFileId: null,
      errors: [],
    });
    const sent = proxy.seen.slice(before).find((s) => s.path === "/v1/messages/batches")!;
    const { requests } = JSON.parse(sent.body) as { requests: { custom_id: string; params: unknown }[] };
    expect(requests[0]).toEqual({
      custom_id: "a",
      params: {
        model: "claude-haiku-4-5",
        max_tokens: 30,
        messages: [{ role: "user", content: "question a" }],
        system: "Be brief.",
      },
    });
    expect(requests[2]).toMatchObject({ custom_id: "c", params: { max_tokens: 4096 } });
    expect(sent.bytes).toBe(Buffer.byteLength(JSON.stringify({ requests })));

    clock.advance(5_500);
    const done = await api.retrieve(created.id, { signal: signal() });
    expect([done.status, done.counts]).toEqual(["completed", { total: 3, succeeded: 2, errored: 1 }]);
    const results = await collect(api, created.id);
    expect([...results.keys()].sort()).toEqual(["a", "b", "c"]);
    for (const id of ["a", "c"]) {
      const result = succeeded(results.get(id));
      expect(result.content.length).toBeGreaterThan(0);
      expect(result.id).toMatch(/^msg_/);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
    }
    expect(results.get("b")).toEqual({
      customId: "b",
      status: "errored",
      error: { code: "not_found_error", message: "model: sim-error", httpStatus: 404 },
    });
  });

  it("cancels in flight: cancelling, then cancelled, with every request's result cancelled", async () => {
    const created = await api.create(
      requestsOf(2, () => "claude-haiku-4-5"),
      { signal: signal() },
    );
    const cancelling = await api.cancel(created.id, { signal: signal() });
    expect(cancelling.status).toBe("cancelling");
    clock.advance(500);
    const cancelled = await api.retrieve(created.id, { signal: signal() });
    expect([cancelled.status, cancelled.counts]).toEqual([
      "cancelled",
      { total: 2, succeeded: 0, errored: 0 },
    ]);
    expect([...(await collect(api, created.id)).values()]).toEqual([
      { customId: "r-0", status: "cancelled" },
      { customId: "r-1", status: "cancelled" },
    ]);
  });

  it("reports a request the provider let expire (sim-expire) as expired, counted as neither", async () => {
    const created = await api.create(listOf([user("ok", "claude-haiku-4-5"), user("late", "sim-expire")]), {
      signal: signal(),
    });
    clock.advance(5_500);
    const done = await api.retrieve(created.id, { signal: signal() });
    expect([done.status, done.counts]).toEqual(["completed", { total: 2, succeeded: 1, errored: 0 }]);
    const results = await collect(api, created.id);
    expect(succeeded(results.get("ok")).usage.inputTokens).toBeGreaterThan(0);
    expect(results.get("late")).toEqual({ customId: "late", status: "expired" });
  });

  it("rejects too many requests or bytes before sending anything", async () => {
    const before = proxy.seen.length;
    const small = createAnthropicBatchApi({
      name: "small",
      apiKey: "k",
      baseUrl: proxy.url,
      limits: { maxRequests: 2, maxBytes: 300 },
    });
    const pulled = { n: 0 };
    const tooMany = await failure(() =>
      small.create(
        requestsOf(1_000, () => "claude-haiku-4-5", pulled),
        { signal: signal() },
      ),
    );
    expect([tooMany.code, tooMany.message, pulled.n]).toEqual([
      "validation_error",
      expect.stringContaining("more than 2 requests"),
      3,
    ]);
    const tooBig = await failure(() =>
      small.create(listOf([user("x", "claude-haiku-4-5"), user("y", "claude-haiku-4-5")]), {
        signal: signal(),
      }),
    );
    expect([tooBig.code, tooBig.message]).toEqual(["validation_error", expect.stringContaining("300 bytes")]);
    const noTurns = await failure(() =>
      small.create(
        listOf([
          {
            customId: "s",
            request: { model: "claude-haiku-4-5", messages: [{ role: "system", content: "x" }] },
          },
        ]),
        {
          signal: signal(),
        },
      ),
    );
    expect([noTurns.code, noTurns.message]).toEqual(["validation_error", expect.stringContaining('"s"')]);
    expect(proxy.seen.slice(before)).toEqual([]);
  });

  it("submits 10,000 requests and streams their 10,000 results", async () => {
    const created = await api.create(
      requestsOf(10_000, () => "claude-haiku-4-5"),
      { signal: signal() },
    );
    expect(created.counts).toEqual({ total: 10_000, succeeded: 0, errored: 0 });
    clock.advance(5_500);
    const done = await api.retrieve(created.id, { signal: signal() });
    expect([done.status, done.counts]).toEqual([
      "completed",
      { total: 10_000, succeeded: 10_000, errored: 0 },
    ]);
    let count = 0;
    const ids = new Set<string>();
    for await (const r of api.results(done, { signal: signal() })) {
      ids.add(r.customId);
      if (r.status === "succeeded" && r.result.usage.outputTokens > 0) count++;
    }
    expect([count, ids.size]).toEqual([10_000, 10_000]);
  }, 60_000);
});
