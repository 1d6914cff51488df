import { randomUUID } from "node:crypto";
import { customIdSchema, ticketInputSchema } from "@sluice/core";
import { useTestDatabase } from "@sluice/db/testing";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../src/app.ts";
import {
  batchRequests,
  type FuzzContext,
  procedureRequests,
  restRequests,
  shapedInput,
  trpcRequest,
} from "./fuzz/fuzzCases.ts";
import { type FuzzClient, fuzzClient } from "./fuzz/fuzzClient.ts";
import { type FuzzRequest, fuzzStats } from "./fuzz/fuzzHttp.ts";
import { procedureTargets, type RestTarget, restTargets } from "./fuzz/fuzzTargets.ts";
import { hostileValue } from "./fuzz/hostileValues.ts";
import { fuzzChatRequestSchema } from "./fuzz/inputShapes.ts";
import { accepts, oneBadAmong, refusedBy, validJob, wholeLine } from "./fuzz/invalidInputs.ts";
import { malformedBodies, malformedQueryInputs } from "./fuzz/malformedBodies.ts";
import { withUnknownField } from "./fuzz/mutations.ts";
import { type SeededRows, seedFuzzData } from "./fuzz/seedData.ts";
import { settledState, storedState } from "./fuzz/storedState.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

/** Cases per procedure and per route; `FUZZ_RUNS=2000` (`pnpm test:fuzz`) for a long run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Replays the cases of one run, e.g. the seed fast-check printed with a failure. */
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const TIMEOUT = 30_000 + RUNS * 300;

const t = useTestDatabase();
const procedures = procedureTargets();
let api: TestApi;
let ctx: FuzzContext & { own: SeededRows };
let client: FuzzClient;
/** What the API logged at error level, shown with the case that caused it. */
const logged: string[] = [];

beforeAll(async () => {
  api = await startTestApi(t, {
    logger: pino({ level: "error" }, { write: (line: string) => void logged.push(line) }),
  });
  ctx = await seedFuzzData(api);
  client = fuzzClient(api.url, ctx, logged);
});
afterAll(async () => {
  console.log(`fuzz: ${fuzzStats.cases} cases, ${fuzzStats.serverErrors} 5xx`);
  await api?.close();
});
afterEach(async () => {
  // However the cases went, the process still serves.
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
});

const options = <T>(numRuns = RUNS): fc.Parameters<[T]> => ({
  numRuns,
  ...(SEED === undefined ? {} : { seed: SEED }),
});

/** Every generated request must be handled: below 500, a 4xx in the envelope. */
const allHandled = (requests: fc.Arbitrary<FuzzRequest>, surface: "trpc" | "rest", numRuns = RUNS) =>
  fc.assert(
    fc.asyncProperty(requests, (r) => client.handled(r, surface).then(() => {})),
    options(numRuns),
  );

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("tRPC procedures under fuzzed input", () => {
  it("finds every procedure of the router, subscriptions and admin ones included", () => {
    expect(procedures.length).toBeGreaterThan(40);
    expect(procedures.filter((p) => p.type === "subscription").map((p) => p.path)).toContain("jobs.onEvents");
    expect(procedures.filter((p) => p.admin).map((p) => p.path)).toContain("tenants.create");
    expect(procedures.filter((p) => p.admin).map((p) => p.path)).not.toContain("jobs.get");
  });

  for (const target of procedures) {
    it(
      `answers fuzzed calls of ${target.path} (${target.type}) below 500, errors in the envelope`,
      async () => {
        await allHandled(procedureRequests(target, ctx), "trpc");
      },
      TIMEOUT,
    );
  }

  for (const target of procedures) {
    it(`answers malformed bodies and query inputs of ${target.path} with a 4xx envelope`, async () => {
      const auth = bearer(target.admin ? ctx.adminKey : ctx.tenantKey);
      if (target.type === "mutation") {
        for (const raw of malformedBodies(JSON.stringify({ json: {} }))) {
          const headers = { ...raw.headers, ...auth };
          const request = { method: "POST", path: `/trpc/${target.path}`, headers, body: raw.body };
          const outcome = await client.handled(request, "trpc", raw.label);
          if (raw.broken) expect(outcome.status, raw.label).toBeGreaterThanOrEqual(400);
        }
        return;
      }
      for (const input of malformedQueryInputs) {
        for (const query of [encodeURIComponent(input), input.replace(/[#&\s]/g, "")]) {
          await client.handled(
            { method: "GET", path: `/trpc/${target.path}?input=${query}`, headers: auth },
            "trpc",
          );
        }
      }
    });
  }

  it(
    "answers fuzzed batched calls below 500, errors in the envelope",
    async () => {
      await allHandled(batchRequests(procedures, ctx), "trpc", RUNS * 2);
    },
    TIMEOUT,
  );
});

describe("REST routes under fuzzed input", () => {
  let routes: RestTarget[] = [];
  beforeAll(() => {
    routes = restTargets(createApp(api.services));
  });

  it("finds every REST route of the app", () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    const shaped = Object.keys(ctx.shapes).filter((k) => k.includes(" /") && !k.endsWith(" line"));
    expect(names).toEqual(expect.arrayContaining([...shaped, "GET /v1/models", "GET /v1/jobs/:id/events"]));
  });

  it(
    "answers fuzzed requests to every route and method below 500, errors in the envelope",
    async () => {
      // Every route is fuzzed even when one fails; the failures are reported together.
      const failures: string[] = [];
      for (const route of routes) {
        const property = fc.asyncProperty(restRequests(route, ctx), (r) =>
          client.handled(r, "rest").then(() => {}),
        );
        const details = await fc.check(property, options());
        if (details.failed)
          failures.push(`${route.method} ${route.path}: ${fc.defaultReportMessage(details)}`);
      }
      expect(failures).toEqual([]);
    },
    TIMEOUT * 4,
  );

  it(
    "answers malformed bodies to every route that takes one with a 4xx envelope",
    async () => {
      for (const route of routes.filter((r) => r.method !== "GET")) {
        const path = route.path.replace(/:[A-Za-z]+/g, ctx.own.batchId);
        for (const raw of malformedBodies("{}")) {
          const headers = { ...raw.headers, ...bearer(ctx.tenantKey) };
          const outcome = await client.handled(
            { method: route.method, path, headers, body: raw.body },
            "rest",
            raw.label,
          );
          if (raw.broken) expect(outcome.status, raw.label).toBeGreaterThanOrEqual(400);
        }
      }
    },
    TIMEOUT,
  );
});

describe("never a partial write", () => {
  const runs = Math.max(5, Math.ceil(RUNS / 3));
  let before: Record<string, string>;
  beforeAll(async () => {
    before = await settledState(t.db);
  });
  afterEach(async () => {
    expect(await storedState(t.db)).toEqual(before);
  });

  it(
    "stores nothing for any mutation whose input its parser rejects (an unknown field)",
    async () => {
      for (const target of procedures.filter((p) => p.type === "mutation" && p.parser !== undefined)) {
        const auth = bearer(target.admin ? ctx.adminKey : ctx.tenantKey);
        const base = shapedInput(ctx.shapes[target.path] ?? target.parser, ctx, false);
        const invalid = withUnknownField(base, hostileValue({ large: false })).filter(
          (v) => !accepts(target.parser, v),
        );
        await fc.assert(
          fc.asyncProperty(invalid, (input) =>
            client.refused(trpcRequest(target.path, "POST", { json: input }, auth), "trpc"),
          ),
          options(runs),
        );
      }
    },
    TIMEOUT,
  );

  it(
    "stores no ticket of a list with one invalid ticket",
    async () => {
      await fc.assert(
        fc.asyncProperty(oneBadAmong(ticketInputSchema, ctx), (tickets) =>
          client.refused(
            trpcRequest("tickets.create", "POST", { json: { tickets } }, bearer(ctx.tenantKey)),
            "trpc",
          ),
        ),
        options(runs),
      );
    },
    TIMEOUT,
  );

  it(
    "stores no request of a batch input with one invalid line, inline, JSON or JSONL",
    async () => {
      const { id } = JSON.parse(
        (await client.rest("POST", "/v1/sluice/batches", { name: "draft", model: "sim-small" })).body,
      );
      before = await storedState(t.db);
      const line = z.strictObject({ custom_id: customIdSchema, body: fuzzChatRequestSchema });
      const path = `/v1/sluice/batches/${id}/requests`;
      const auth = bearer(ctx.tenantKey);
      await fc.assert(
        fc.asyncProperty(oneBadAmong(line, ctx, wholeLine), async (lines) => {
          await client.refused(
            trpcRequest("batches.addRequests", "POST", { json: { id, requests: lines } }, auth),
            "trpc",
          );
          const json = JSON.stringify({ requests: lines });
          await client.refused(
            { method: "POST", path, headers: { ...auth, "content-type": "application/json" }, body: json },
            "rest",
          );
          // The bad line last: a streamed body is refused only after the good lines were read.
          const jsonl = `${lines.map((l) => JSON.stringify(l)).join("\n")}\n{"custom_id":`;
          await client.refused(
            { method: "POST", path, headers: { ...auth, "content-type": "application/jsonl" }, body: jsonl },
            "rest",
          );
        }),
        options(runs),
      );
    },
    TIMEOUT,
  );

  it(
    "stores no job, batch or call for REST writes with invalid bodies",
    async () => {
      for (const route of [
        "POST /v1/jobs",
        "POST /v1/sluice/batches",
        "POST /v1/chat/completions",
        "POST /v1/embeddings",
      ]) {
        const headers = { ...bearer(ctx.tenantKey), "content-type": "application/json" };
        await fc.assert(
          fc.asyncProperty(refusedBy(ctx.shapes[route], ctx, true), (body) =>
            client.refused(
              { method: "POST", path: route.slice(5), headers, body: JSON.stringify(body) },
              "rest",
            ),
          ),
          options(runs),
        );
      }
    },
    TIMEOUT,
  );
});

describe("defects found by fuzzing", () => {
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

  it("saw no 5xx in any case and is still ready", async () => {
    expect(fuzzStats.serverErrors).toBe(0);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
  });
});
