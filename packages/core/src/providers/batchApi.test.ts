import { readdir } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { type ManualClock, manualClock, type RunningSimulator, startSimulator } from "@sluice/simulator";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createAnthropicBatchApi } from "./anthropicBatchApi.ts";
import { createAnthropicProvider } from "./anthropicProvider.ts";
import type { ProviderBatchApi, ProviderBatchRequest, ProviderBatchResult } from "./batchApi.ts";
import { createOpenAiBatchApi } from "./openaiBatchApi.ts";
import { createOpenAiProvider } from "./openaiProvider.ts";
import type { ProviderChatResult } from "./provider.ts";

const signal = () => new AbortController().signal;

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  body: string;
}

/** A plain HTTP proxy in front of the simulator that records what each request sent. */
async function recordingProxy(
  target: string,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const entry: Seen = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      bytes: 0,
      body: "",
    };
    seen.push(entry);
    req.on("data", (chunk: Buffer) => {
      entry.bytes += chunk.length;
      if (entry.body.length < 100_000) entry.body += chunk.toString("utf8");
    });
    const upstream = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  return { url: await listen(server), seen, close: () => closeServer(server) };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function* requestsOf(
  count: number,
  model: (i: number) => string,
  pulled = { n: 0 },
): AsyncIterable<ProviderBatchRequest> {
  for (let i = 0; i < count; i++) {
    pulled.n++;
    yield {
      customId: `r-${i}`,
      request: { model: model(i), messages: [{ role: "user", content: `hi ${i}` }] },
    };
  }
}

async function* listOf(items: ProviderBatchRequest[]): AsyncIterable<ProviderBatchRequest> {
  yield* items;
}

async function collect(api: ProviderBatchApi, id: string): Promise<Map<string, ProviderBatchResult>> {
  const state = await api.retrieve(id, { signal: signal() });
  const byId = new Map<string, ProviderBatchResult>();
  for await (const r of api.results(state, { signal: signal() })) byId.set(r.customId, r);
  return byId;
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

function succeeded(r: ProviderBatchResult | undefined): ProviderChatResult {
  if (r?.status !== "succeeded") throw new Error(`expected a success, got ${JSON.stringify(r)}`);
  return r.result;
}

const batchTempDirs = async () => (await readdir(tmpdir())).filter((n) => n.startsWith("sluice-batch-"));

const user = (customId: string, model: string, maxTokens?: number): ProviderBatchRequest => ({
  customId,
  request: {
    model,
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: `question ${customId}` },
    ],
    ...(maxTokens === undefined ? {} : { maxTokens }),
  },
});

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
    const dirsBefore = await batchTempDirs();
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
    expect([tooBig.code, tooBig.message]).toEqual(["validation_error", expect.stringContaining("400 bytes")]);
    const twice = await failure(() =>
      small.create(listOf([user("d", "gpt-4o-mini"), user("d", "gpt-4o-mini")]), { signal: signal() }),
    );
    expect([twice.code, twice.message]).toEqual([
      "validation_error",
      expect.stringContaining('"d" appears twice'),
    ]);
    const none = await failure(() => small.create(listOf([]), { signal: signal() }));
    expect([none.code, none.message]).toEqual(["validation_error", expect.stringContaining("at least one")]);
    expect(proxy.seen.slice(before)).toEqual([]);
    expect(await batchTempDirs()).toEqual(dirsBefore);
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

describe("malformed result lines", () => {
  const completion = {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: "fine" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1 },
  };
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-haiku-4-5",
    content: [{ type: "text", text: "fine" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 4, output_tokens: 1 },
  };
  const bodies: Record<string, string> = {
    "/v1/files/file_out/content": [
      JSON.stringify({ custom_id: "ok", response: { status_code: 200, body: completion }, error: null }),
      '{"custom_id": "cut", "response": {"status_co',
      JSON.stringify({ custom_id: "empty", response: { status_code: 200, body: { id: "x", choices: [] } } }),
      "[1, 2]",
      JSON.stringify({ custom_id: "last", response: { status_code: 200, body: completion }, error: null }),
    ].join("\n"),
    "/v1/messages/batches/msgbatch_1/results": [
      JSON.stringify({ custom_id: "ok", result: { type: "succeeded", message } }),
      "not json at all",
      JSON.stringify({ custom_id: "odd", result: { type: "mystery" } }),
      JSON.stringify({
        custom_id: "nousage",
        result: { type: "succeeded", message: { ...message, usage: null } },
      }),
      JSON.stringify({ custom_id: "last", result: { type: "succeeded", message } }),
    ].join("\r\n"),
  };
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = bodies[req.url ?? ""];
      res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/octet-stream" });
      res.end(body ?? "{}");
    });
    url = await listen(server);
  });
  afterAll(() => closeServer(server));

  const finished = {
    counts: { total: 5, succeeded: 5, errored: 0 },
    inputFileId: null,
    errorFileId: null,
    errors: [],
  };
  const shapes = async (results: AsyncIterable<ProviderBatchResult>) => {
    const out: [string, string, string | undefined][] = [];
    for await (const r of results)
      out.push([r.customId, r.status, r.status === "errored" ? r.error.code : undefined]);
    return out;
  };

  it("turns each unreadable OpenAI output line into a malformed_response result and reads on", async () => {
    const api = createOpenAiBatchApi({ name: "odd", apiKey: "k", baseUrl: `${url}/v1` });
    const state = { ...finished, id: "batch_1", status: "completed" as const, outputFileId: "file_out" };
    expect(await shapes(api.results(state, { signal: signal() }))).toEqual([
      ["ok", "succeeded", undefined],
      ["cut", "errored", "malformed_response"],
      ["empty", "errored", "malformed_response"],
      ["", "errored", "malformed_response"],
      ["last", "succeeded", undefined],
    ]);
  });

  it("turns each unreadable Anthropic result line into a malformed_response result and reads on", async () => {
    const api = createAnthropicBatchApi({ name: "odd", apiKey: "k", baseUrl: url });
    const state = { ...finished, id: "msgbatch_1", status: "completed" as const, outputFileId: null };
    expect(await shapes(api.results(state, { signal: signal() }))).toEqual([
      ["ok", "succeeded", undefined],
      ["", "errored", "malformed_response"],
      ["odd", "errored", "malformed_response"],
      ["nousage", "errored", "malformed_response"],
      ["last", "succeeded", undefined],
    ]);
  });
});
