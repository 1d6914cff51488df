import { randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import type { TestApi } from "../testApi.ts";
import type { FuzzContext } from "./fuzzCases.ts";
import type { FuzzClient } from "./fuzzClient.ts";
import { validJob } from "./invalidInputs.ts";

/** What the regression cases use of the fuzz suite's running API. */
export interface FuzzSetup {
  api: TestApi;
  client: FuzzClient;
  ctx: FuzzContext;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * One case per defect fuzzing found (each fixed), registered inside the fuzz suite so that they run
 * against its API and count towards its "no 5xx" check; `setup` is read once the suite has started.
 */
export function defectRegressions(setup: () => FuzzSetup): void {
  let api: TestApi;
  let client: FuzzClient;
  let ctx: FuzzContext;
  beforeAll(() => {
    ({ api, client, ctx } = setup());
  });

  const expectRefused = async (
    cases: [string, unknown, boolean?][],
    status = 400,
    code = "validation_error",
  ) => {
    for (const [path, input, admin] of cases) {
      const res = await client.call(path, input, { admin: admin ?? false });
      expect([path, res.status, res.error?.error.code]).toEqual([path, status, code]);
    }
  };

  it("answers tRPC calls refused before they are parsed as JSON, with the request's id", async () => {
    const headers = { ...bearer(ctx.tenantKey), "x-request-id": "fuzz-early-error" };
    const typed = await client.handled(
      {
        method: "POST",
        path: "/trpc/jobs.enqueue",
        headers: { ...headers, "content-type": "text/plain" },
        body: "{}",
      },
      "trpc",
    );
    expect([typed.status, typed.contentType]).toEqual([400, "application/json"]);
    expect(JSON.parse(typed.body).error.json.data).toMatchObject({
      error: { code: "validation_error" },
      request_id: "fuzz-early-error",
    });
    const mixed = await client.handled(
      { method: "GET", path: "/trpc/health.check,jobs.enqueue?batch=1", headers },
      "trpc",
    );
    expect([mixed.status, mixed.contentType]).toEqual([400, "application/json"]);
  });

  it("answers REST bodies in an unsupported charset or encoding with 415, not 500", async () => {
    const latin1 = await client.rest("POST", "/v1/chat/completions", "{}", {
      "content-type": "application/json; charset=latin1",
    });
    expect([latin1.status, latin1.json.error?.code]).toEqual([415, "validation_error"]);
    const bogus = await client.rest("POST", "/v1/jobs", "{}", { "content-encoding": "bogus" });
    expect([bogus.status, bogus.json.error?.code]).toEqual([415, "validation_error"]);
  });

  it("answers a path id that is not percent-encoding with 400, not 500", async () => {
    const res = await client.rest("GET", "/v1/jobs/%ZZ");
    expect([res.status, res.json.error?.code]).toEqual([400, "validation_error"]);
  });

  it("answers a URL past the header limit with a 431 envelope instead of an empty answer", async () => {
    const res = await client.rest("GET", `/trpc/jobs.get?input=${"[".repeat(10_000)}${"]".repeat(10_000)}`);
    expect([res.status, res.json.error?.code, res.json.request_id]).toEqual([
      431,
      "validation_error",
      res.requestId,
    ]);
  });

  it("refuses NUL in names, filters, idempotency keys, payloads and webhook URLs with 400", async () => {
    const NUL = "a\u0000b";
    const hook = `https://hooks.example/${NUL}`;
    await expectRefused([
      ["tenants.create", { name: NUL }, true],
      ["apiKeys.create", { tenantId: api.b.id, name: NUL }, true],
      ["deadLetters.list", { kind: NUL }, true],
      ["deadLetters.list", { errorCode: NUL }, true],
      ["deadLetters.requeue", { all: true, kind: NUL }, true],
      ["deadLetters.purge", { before: new Date().toISOString(), kind: NUL }, true],
      ["jobs.list", { kind: NUL }],
      ["jobs.enqueue", { ...validJob, idempotencyKey: NUL }],
      ["jobs.enqueue", { kind: "embeddings.batch", payload: { model: "sim-embed", inputs: [NUL] } }],
      ["webhooks.set", { url: hook }],
      ["tickets.classifyPending", { webhookUrl: hook }],
      ["batches.create", { name: "x", model: "sim-small", webhookUrl: hook }],
    ]);
    expect((await client.rest("GET", "/v1/jobs?kind=%00")).status).toBe(400);
  });

  it("refuses lone surrogates in text bound for jsonb with 400, not 500", async () => {
    const messages = [{ role: "user", content: "x\ud800y" }];
    const { id } = JSON.parse(
      (await client.rest("POST", "/v1/sluice/batches", { name: "x", model: "sim-small" })).body,
    );
    await expectRefused([
      ["jobs.enqueue", { kind: "chat.complete", payload: { request: { model: "sim-small", messages } } }],
      ["jobs.enqueue", { kind: "embeddings.batch", payload: { model: "sim-embed", inputs: ["\udfff"] } }],
      ["batches.create", { name: "x", model: "sim-small", metadata: { team: "\ud800" } }],
      ["batches.addRequests", { id, requests: [{ custom_id: "a", body: { messages } }] }],
    ]);
  });

  it("refuses rate limits past 32 bits and dates Postgres cannot store with 400", async () => {
    await expectRefused([
      ["tenants.create", { name: `big-${randomUUID()}`, rateLimitRpm: 2 ** 31 }, true],
      ["tenants.setLimits", { id: api.b.id, rateLimitTpm: 2 ** 31 }, true],
      ["deadLetters.purge", { before: -210866803200001 }, true],
      ["deadLetters.list", { since: -210866803200001 }, true],
      ["jobs.enqueue", { ...validJob, runAt: "+275000-01-01T00:00:00Z" }],
      ["apiKeys.create", { tenantId: api.b.id, expiresAt: -8640000000000000 }, true],
    ]);
  });

  it("answers a cascade every tier of which the caller's max_tokens cuts off with 400, not 502", async () => {
    const request = { messages: [{ role: "user", content: "hi" }], max_tokens: 8 };
    await expectRefused([["cascade.run", { name: "simulator", request }]]);
    const chat = await client.rest("POST", "/v1/chat/completions", {
      ...request,
      model: "cascade:simulator",
    });
    expect([chat.status, chat.json.error?.code]).toEqual([400, "validation_error"]);
    const roomy = await client.call("cascade.run", {
      name: "simulator",
      request: { ...request, max_tokens: 200 },
    });
    expect(roomy.status).toBe(200);
  });

  it("answers a cascade too long for every tier's context with 400, as a plain model does, not 502", async () => {
    const request = { messages: [{ role: "user", content: "hi" }], max_completion_tokens: 131_072 };
    await expectRefused(
      [
        ["cascade.run", { name: "simulator", request }],
        ["chat.complete", { ...request, model: "sim-small" }],
      ],
      400,
      "context_length_exceeded",
    );
  });

  it("opens a job's event stream at once for a client resuming after its latest event", async () => {
    const { id } = JSON.parse((await client.rest("POST", "/v1/jobs", validJob)).body);
    const res = await fetch(`${api.url}/v1/jobs/${id}/events`, {
      headers: { ...bearer(ctx.tenantKey), "last-event-id": "1000000" },
      signal: AbortSignal.timeout(3_000),
    });
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
    await res.body?.cancel();
  });

  it("answers a key for a tenant that does not exist with 404, not 500", async () => {
    await expectRefused([["apiKeys.create", { tenantId: randomUUID() }, true]], 404, "not_found");
  });
}
