import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ManualClock, manualClock, type RunningSimulator, startSimulator } from "@sluice/simulator";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { createOpenAiBatchApi } from "./openaiBatchApi.ts";
import { createOpenAiProvider } from "./openaiProvider.ts";

describe("OpenAI batch API over the simulator", () => {
  let sim: RunningSimulator;
  let clock: ManualClock;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let api: ProviderBatchApi;
  let sdk: OpenAI;

  beforeAll(async () => {
    clock = manualClock();
    sim = await startSimulator({
      clock,
      batchTimings: { validatingMs: 1_000, inProgressMs: 10_000, finalizingMs: 1_000 },
    });
    proxy = await recordingProxy(sim.url);
    api = createOpenAiProvider({ name: "sim-openai", apiKey: "k", baseUrl: `${proxy.url}/v1` }).batches!;
    sdk = new OpenAI({ apiKey: "k", baseURL: `${sim.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
  });

  it("uploads JSONL, walks validating → in_progress → completed and streams each item's result", async () => {
    const items = [user("a", "gpt-4o-mini", 20), user("b", "sim-error"), user("c", "gpt-4o-mini")];
    const created = await api.create(listOf(items), { metadata: { job: "j1" }, signal: signal() });
    expect(created).toMatchObject({
      status: "validating",
      counts: { total: 3, succeeded: 0, errored: 0 },
      outputFileId: null,
      errorFileId: null,
      errors: [],
    });
    const input = (await (await sdk.files.content(created.inputFileId!)).text()).trim().split("\n");
    expect(JSON.parse(input[0]!)).toEqual({
      custom_id: "a",
      method: "POST",
      url: "/v1/chat/completions",
      body: {
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "question a" },
        ],
        max_tokens: 20,
      },
    });
    expect((await sdk.batches.retrieve(created.id)).metadata).toEqual({ job: "j1" });

    clock.advance(1_000);
    expect((await api.retrieve(created.id, { signal: signal() })).status).toBe("in_progress");
    clock.advance(10_000);
    expect((await api.retrieve(created.id, { signal: signal() })).status).toBe("finalizing");
    clock.advance(1_000);
    const done = await api.retrieve(created.id, { signal: signal() });
    expect([done.status, done.counts]).toEqual(["completed", { total: 3, succeeded: 2, errored: 1 }]);

    const results = await collect(api, created.id);
    expect([...results.keys()].sort()).toEqual(["a", "b", "c"]);
    for (const id of ["a", "c"]) {
      const result = succeeded(results.get(id));
      expect(result.content.length).toBeGreaterThan(0);
      expect(result.id).toMatch(/^chatcmpl_/);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result.choices).toEqual([{ content: result.content, finishReason: result.finishReason }]);
    }
    expect(succeeded(results.get("a")).usage.outputTokens).toBeLessThanOrEqual(20);
    expect(results.get("b")).toEqual({
      customId: "b",
      status: "errored",
      error: { code: "model_not_found", message: expect.stringContaining("sim-error"), httpStatus: 404 },
    });
  });

  it("cancels in flight: cancelling, then cancelled, with no results for requests that never ran", async () => {
    const created = await api.create(
      requestsOf(2, () => "gpt-4o-mini"),
      { signal: signal() },
    );
    clock.advance(2_000);
    const cancelling = await api.cancel(created.id, { signal: signal() });
    expect(cancelling.status).toBe("cancelling");
    const early = await failure(async () => {
      for await (const _ of api.results(cancelling, { signal: signal() })) break;
    });
    expect([early.code, early.message]).toEqual(["validation_error", expect.stringContaining("cancelling")]);
    clock.advance(1_000);
    const cancelled = await api.retrieve(created.id, { signal: signal() });
    expect([cancelled.status, cancelled.outputFileId, cancelled.errorFileId]).toEqual([
      "cancelled",
      null,
      null,
    ]);
    expect((await collect(api, created.id)).size).toBe(0);
  });

  it("expires a batch (sim_outcome expire): every request's result is expired", async () => {
    const created = await api.create(
      requestsOf(3, () => "gpt-4o-mini"),
      {
        metadata: { sim_outcome: "expire" },
        signal: signal(),
      },
    );
    clock.advance(12_000);
    const expired = await api.retrieve(created.id, { signal: signal() });
    expect(expired.status).toBe("expired");
    const results = await collect(api, created.id);
    expect([...results.values()]).toEqual([
      { customId: "r-0", status: "expired" },
      { customId: "r-1", status: "expired" },
      { customId: "r-2", status: "expired" },
    ]);
  });

  it("fails a batch (sim_outcome fail) with the provider's batch-level errors", async () => {
    const created = await api.create(
      requestsOf(2, () => "gpt-4o-mini"),
      {
        metadata: { sim_outcome: "fail" },
        signal: signal(),
      },
    );
    clock.advance(1_000);
    const failed = await api.retrieve(created.id, { signal: signal() });
    expect([failed.status, failed.errors]).toEqual([
      "failed",
      [{ line: null, code: "batch_failed", message: "The batch failed." }],
    ]);
    expect((await collect(api, created.id)).size).toBe(0);
  });

  it("rejects too many requests, too many bytes or a repeated id before sending anything", async () => {
    const before = proxy.seen.length;
    // Input files are spooled under os.tmpdir(): a directory of this test's own shows that none was
    // left behind, whatever other test files running at the same time spool and delete.
    const spool = await mkdtemp(join(tmpdir(), "batch-limits-"));
    const savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = spool;
    try {
      const small = createOpenAiBatchApi({
        name: "small",
        apiKey: "k",
        baseUrl: `${proxy.url}/v1`,
        limits: { maxRequests: 2, maxBytes: 400 },
      });
      expect(small.limits).toEqual({ maxRequests: 2, maxBytes: 400 });
      const pulled = { n: 0 };
      const tooMany = await failure(() =>
        small.create(
          requestsOf(1_000, () => "gpt-4o-mini", pulled),
          { signal: signal() },
        ),
      );
      expect([tooMany.code, tooMany.message, pulled.n]).toEqual([
        "validation_error",
        expect.stringContaining("more than 2 requests"),
        3,
      ]);
      const big = [
        {
          customId: "x",
          request: { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "y".repeat(500) }] },
        },
      ];
      const tooBig = await failure(() => small.create(listOf(big), { signal: signal() }));
      expect([tooBig.code, tooBig.message]).toEqual([
        "validation_error",
        expect.stringContaining("400 bytes"),
      ]);
      const twice = await failure(() =>
        small.create(listOf([user("d", "gpt-4o-mini"), user("d", "gpt-4o-mini")]), { signal: signal() }),
      );
      expect([twice.code, twice.message]).toEqual([
        "validation_error",
        expect.stringContaining('"d" appears twice'),
      ]);
      const none = await failure(() => small.create(listOf([]), { signal: signal() }));
      expect([none.code, none.message]).toEqual([
        "validation_error",
        expect.stringContaining("at least one"),
      ]);
      expect(proxy.seen.slice(before)).toEqual([]);
    } finally {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
    }
    expect(await readdir(spool)).toEqual([]);
    await rm(spool, { recursive: true });
  });

  it("streams a 10,000-request input file from disk and streams its 10,000 results back", async () => {
    const before = proxy.seen.length;
    const created = await api.create(
      requestsOf(10_000, (i) => (i % 2 ? "gpt-4o-mini" : "sim-small")),
      { signal: signal() },
    );
    expect(created.counts.total).toBe(10_000);
    const uploadRequest = proxy.seen.slice(before).find((s) => s.method === "POST" && s.path === "/v1/files");
    expect(uploadRequest?.headers["transfer-encoding"]).toBe("chunked");
    expect(uploadRequest?.headers["content-length"]).toBeUndefined();
    expect(uploadRequest?.bytes).toBeGreaterThan(1_000_000);
    clock.advance(12_000);
    const done = await api.retrieve(created.id, { signal: signal() });
    expect([done.status, done.counts]).toEqual([
      "completed",
      { total: 10_000, succeeded: 10_000, errored: 0 },
    ]);
    let succeeded = 0;
    const ids = new Set<string>();
    for await (const r of api.results(done, { signal: signal() })) {
      ids.add(r.customId);
      if (r.status === "succeeded" && r.result.usage.inputTokens > 0) succeeded++;
    }
    expect([succeeded, ids.size]).toEqual([10_000, 10_000]);
  }, 60_000);
});
