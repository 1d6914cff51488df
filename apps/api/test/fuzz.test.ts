import { issuesOf, ticketInputSchema } from "@sluice/core";
import { useTestDatabase } from "@sluice/db/testing";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApp } from "../src/app.ts";
import { defectRegressions } from "./fuzz/defectRegressions.ts";
import {
  batchRequests,
  type FuzzContext,
  fuzzedInput,
  procedureRequests,
  restRequests,
  shapedInput,
  trpcRequest,
} from "./fuzz/fuzzCases.ts";
import { type FuzzClient, fuzzClient } from "./fuzz/fuzzClient.ts";
import { type FuzzRequest, fuzzStats } from "./fuzz/fuzzHttp.ts";
import { procedureTargets, type RestTarget, restTargets } from "./fuzz/fuzzTargets.ts";
import { hostileValue } from "./fuzz/hostileValues.ts";
import { PATH_CHECKED_ROUTES } from "./fuzz/inputShapes.ts";
import { accepts, oneBadAmong, refusedBy, wholeLine } from "./fuzz/invalidInputs.ts";
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

  it(
    "answers fuzzed chat, messages and responses requests below 500 (tools included), and those their schema refuses with 400 naming each bad field",
    async () => {
      const failures: string[] = [];
      for (const route of PATH_CHECKED_ROUTES) {
        const schema = ctx.shapes[route] as z.ZodType;
        const bodies = fuzzedInput(schema, ctx, false).filter((body) => body !== undefined);
        const property = fc.asyncProperty(bodies, async (body) => {
          const headers = { ...bearer(ctx.tenantKey), "content-type": "application/json" };
          const request = { method: "POST", path: route.slice(5), headers, body: JSON.stringify(body) };
          const outcome = await client.handled(request, "rest");
          const parsed = schema.safeParse(body);
          if (parsed.success) return;
          expect(outcome.status).toBe(400);
          // A JSON scalar is refused by the body parser, before there is a field to name.
          if (typeof body !== "object" || body === null) return;
          const paths = (issues: { path: string }[]) => [...new Set(issues.map((i) => i.path))].sort();
          const answered = JSON.parse(outcome.body).error?.details?.issues ?? [];
          expect(paths(answered)).toEqual(paths(issuesOf(parsed.error)));
        });
        const details = await fc.check(property, { ...options(), includeErrorInReport: true });
        if (details.failed) failures.push(`${route}: ${fc.defaultReportMessage(details)}`);
      }
      expect(failures).toEqual([]);
    },
    TIMEOUT * 2,
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
      const line = ctx.shapes["POST /v1/sluice/batches/:id/requests line"];
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
        "POST /v1/messages",
        "POST /v1/responses",
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
  defectRegressions(() => ({ api, client, ctx }));

  it("saw no 5xx in any case and is still ready", async () => {
    expect(fuzzStats.serverErrors).toBe(0);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
  });
});
