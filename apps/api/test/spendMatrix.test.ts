import { resolveBatchTarget, tierMaxCostMicros } from "@sluice/core";
import { findBatchById, updateTenantLimits } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/root.ts";
import { router, tenantProcedure } from "../src/trpc/init.ts";
import { restRoutes } from "./support/appRoutes.ts";
import {
  ask,
  batchLine,
  type Caller,
  jobRow,
  type Refusal,
  type Row,
  restJob,
  restRow,
  STATUS,
  streamRow,
  trpcClient,
  trpcRow,
  uploadBatchFile,
} from "./support/spendRows.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

// The spend matrix: every tRPC procedure, REST route and job kind that can reach a model has a row
// showing the gate refuse it, for a tenant whose budget is $0 (402, or a job dead at its first
// attempt with budget_exceeded) and for one whose rate limit is spent (429, or a job retried later).
// The lists are read from the router, the HTTP app and the job catalog at run time: a new way to
// reach a model without a row fails the first test. Everything else is listed as never paid.

const t = useTestDatabase();
let api: TestApi;
const callers = {} as Record<Refusal, Caller>;

const procedureRows: Record<string, Row> = {
  "chat.stream": streamRow("chat.stream", "sim-small"),
  "chat.complete": trpcRow("mutation", "chat.complete", () => ask("hello")),
  "cascade.stream": streamRow("cascade.stream", "cascade:simulator"),
  "cascade.run": trpcRow("mutation", "cascade.run", () => ({ name: "simulator", request: ask("hi") })),
  "embeddings.create": trpcRow("mutation", "embeddings.create", () => ({
    model: "text-embedding-3-small",
    input: "embed me",
  })),
  "tickets.classify": trpcRow("mutation", "tickets.classify", (c) => ({ id: c.ticketId })),
  "tickets.classifyMany": trpcRow("mutation", "tickets.classifyMany", (c) => ({ ids: [c.ticketId] })),
  "tickets.classifyText": trpcRow("mutation", "tickets.classifyText", () => ({
    subject: "Refund",
    body: "I was charged twice",
  })),
  "tickets.classifyPending": jobRow(
    async (c) => ((await c.client.mutation("tickets.classifyPending", { limit: 5 })) as { id: string }).id,
  ),
  "jobs.enqueue": jobRow(
    async (c) =>
      (
        (await c.client.mutation("jobs.enqueue", {
          kind: "chat.complete",
          payload: { request: ask("job") },
        })) as {
          job: { id: string };
        }
      ).job.id,
  ),
  "batches.create": trpcRow("mutation", "batches.create", () => ({
    name: "refused",
    model: "sim-small",
    requests: [batchLine("a")],
    submit: true,
  })),
  "batches.submit": trpcRow("mutation", "batches.submit", (c) => ({ id: c.drafts.trpc })),
};

/** Procedures that only run again a job whose kind has its own row below. */
const rerunsJobs = ["jobs.retry", "deadLetters.requeue"];

const neverPaidProcedures = [
  "health.check",
  "cascade.list",
  ...["create", "get", "list", "stats"].map((p) => `tickets.${p}`),
  "stats.usage",
  "stats.spend",
  ...["kinds", "get", "list", "cancel", "result", "events", "onEvents"].map((p) => `jobs.${p}`),
  ...[
    "addRequests",
    "list",
    "get",
    "requests",
    "responses",
    "results",
    "cancel",
    "delete",
    "stats",
    "onProgress",
  ].map((p) => `batches.${p}`),
  "webhooks.get",
  "webhooks.set",
  ...["list", "get", "purge"].map((p) => `deadLetters.${p}`),
  ...["create", "list", "find", "disable", "enable", "setLimits"].map((p) => `tenants.${p}`),
  ...["create", "list", "find", "revoke", "update", "rotate"].map((p) => `apiKeys.${p}`),
];

const restRows = (): Record<string, Row> => ({
  "POST /v1/chat/completions": restRow(
    api,
    "POST",
    () => "/v1/chat/completions",
    () => ask("hello"),
  ),
  "POST /v1/embeddings": restRow(
    api,
    "POST",
    () => "/v1/embeddings",
    () => ({ model: "text-embedding-3-small", input: "x" }),
  ),
  "POST /v1/messages": restRow(
    api,
    "POST",
    () => "/v1/messages",
    () => ask("hello", "claude-haiku-4-5"),
  ),
  "POST /v1/responses": restRow(
    api,
    "POST",
    () => "/v1/responses",
    () => ({ model: "gpt-4o-mini", input: "hi" }),
  ),
  "POST /v1/messages/batches": restRow(
    api,
    "POST",
    () => "/v1/messages/batches",
    () => ({ requests: [{ custom_id: "a", params: ask("batch", "gpt-4o-mini") }] }),
  ),
  "POST /v1/batches": restRow(
    api,
    "POST",
    () => "/v1/batches",
    (c) => ({ input_file_id: c.fileId, endpoint: "/v1/chat/completions", completion_window: "24h" }),
  ),
  "POST /v1/sluice/batches": restRow(
    api,
    "POST",
    () => "/v1/sluice/batches",
    () => ({ name: "refused", model: "sim-small", requests: [batchLine("a")], submit: true }),
  ),
  "POST /v1/sluice/batches/:id/submit": restRow(
    api,
    "POST",
    (c) => `/v1/sluice/batches/${c.drafts.rest}/submit`,
    () => ({}),
  ),
  "POST /v1/jobs": jobRow((c) => restJob(api, c, "chat.complete", { request: ask("rest job") })),
});

const neverPaidRoutes = [
  "GET /metrics",
  "GET /healthz",
  "GET /readyz",
  "GET /v1/models",
  "GET /v1/spend",
  "POST /v1/messages/count_tokens",
  "GET /v1/messages/batches",
  "GET /v1/messages/batches/:id",
  "POST /v1/messages/batches/:id/cancel",
  "GET /v1/messages/batches/:id/results",
  "GET /v1/jobs",
  "GET /v1/jobs/:id",
  "GET /v1/jobs/:id/events",
  "DELETE /v1/jobs/:id",
  "GET /v1/sluice/batches",
  "GET /v1/sluice/batches/stats",
  "GET /v1/sluice/batches/:id",
  "POST /v1/sluice/batches/:id/requests",
  "GET /v1/sluice/batches/:id/requests",
  "GET /v1/sluice/batches/:id/responses",
  "GET /v1/sluice/batches/:id/results",
  "POST /v1/sluice/batches/:id/cancel",
  "DELETE /v1/sluice/batches/:id",
  "POST /v1/files",
  "GET /v1/files",
  "GET /v1/files/:id",
  "GET /v1/files/:id/content",
  "DELETE /v1/files/:id",
  "GET /v1/batches",
  "GET /v1/batches/:id",
  "POST /v1/batches/:id/cancel",
];

const jobRows = (): Record<string, Row> => ({
  "tickets.classify": jobRow((c) => restJob(api, c, "tickets.classify", { ticketId: c.ticketId })),
  "tickets.classifyBatch": jobRow((c) =>
    restJob(api, c, "tickets.classifyBatch", { ticketIds: [c.ticketId] }),
  ),
  "chat.complete": jobRow((c) => restJob(api, c, "chat.complete", { request: ask("job") })),
  "embeddings.batch": jobRow((c) =>
    restJob(api, c, "embeddings.batch", { model: "text-embedding-3-small", inputs: ["a", "b"] }),
  ),
  "batch.submit": batchSubmitRow,
});

/** Reads results of a tier whose most was reserved when `batch.submit` sent it; webhooks reach no model. */
const neverPaidJobs = ["batch.poll", "webhook.deliver"];

/**
 * `batch.submit`: throttled, a submission is refused at the API (429) and no batch is queued; out
 * of budget when the tier is sent (another batch holds the rest), the batch ends failed with
 * `budget_exceeded` and its requests answered so, nothing left reserved by it.
 */
async function batchSubmitRow(c: Caller): Promise<void> {
  if (c.refusal === "rate") {
    await trpcRow("mutation", "batches.create", () => ({
      name: "throttled",
      model: "sim-small",
      requests: [batchLine("a")],
      submit: true,
    }))(c);
    const page = (await c.client.query("batches.list", {})) as { items: { name: string }[] };
    expect(page.items.filter((b) => b.name === "throttled")).toEqual([]);
    return;
  }
  const late = await api.tenant("late", "tenant");
  const client = trpcClient(api, late.key);
  const draft = async (name: string) =>
    (await client.mutation("batches.create", { name, model: "sim-small", requests: [batchLine("a")] })) as {
      id: string;
    };
  const first = await draft("holds the budget");
  const second = await draft("finds it held");
  const one = await tierMaxCostMicros(
    t.db,
    (await findBatchById(t.db, second.id))!,
    resolveBatchTarget(api.services.runtime, "sim-small"),
  );
  // Room for one tier's most and not two: the API admits both, the second cannot reserve.
  await updateTenantLimits(t.db, late.id, { dailyBudgetMicros: 2 * one - 1 });
  await client.mutation("batches.submit", { id: first.id });
  await expect
    .poll(async () => (await findBatchById(t.db, first.id))?.budgetHolder, { timeout: 10_000 })
    .toBeTruthy();
  await client.mutation("batches.submit", { id: second.id });
  const status = async () =>
    ((await client.query("batches.get", { id: second.id })) as { status: string }).status;
  await expect.poll(status, { timeout: 10_000 }).toBe("failed");
  const responses = (await client.query("batches.responses", { id: second.id })) as {
    items: { error: { code: string } }[];
  };
  expect(responses.items.map((r) => r.error.code)).toEqual(["budget_exceeded"]);
  expect((await findBatchById(t.db, second.id))?.budgetHolder).toBeNull();
}

async function callerOf(refusal: Refusal): Promise<Caller> {
  const limits = refusal === "budget" ? { dailyBudgetMicros: 0 } : { rateLimitRpm: 1 };
  const tenant = await api.tenant(refusal === "budget" ? "broke" : "throttled", "tenant", limits);
  const client = trpcClient(api, tenant.key);
  const [ticket] = (await client.mutation("tickets.create", {
    tickets: [
      { subject: "Charged twice", body: "Please refund the second charge.", customerEmail: "a@example.com" },
    ],
  })) as { id: string }[];
  const draft = async () =>
    (
      (await client.mutation("batches.create", {
        name: "draft",
        model: "sim-small",
        requests: [batchLine("a")],
      })) as {
        id: string;
      }
    ).id;
  return {
    refusal,
    tenantId: tenant.id,
    key: tenant.key,
    client,
    ticketId: ticket!.id,
    fileId: await uploadBatchFile(api, tenant.key),
    drafts: { trpc: await draft(), rest: await draft() },
  };
}

const procedureNames = (r: { _def: { procedures: object } }) => Object.keys(r._def.procedures);
/** Names in `all` that neither have a row nor are listed as never paid. */
const withoutRow = (all: string[], rows: object, never: string[]) =>
  all.filter((name) => !Object.hasOwn(rows, name) && !never.includes(name));

beforeAll(async () => {
  // Provider batches stay in progress: a tier that reserved keeps its reservation during the test.
  api = await startTestApi(t, {
    worker: { batchPollMs: 200 },
    batchTimings: { validatingMs: 50, inProgressMs: 120_000, finalizingMs: 50 },
  });
  callers.budget = await callerOf("budget");
  callers.rate = await callerOf("rate");
  // The throttled tenant's one request a minute (its window never turns: the API's clock is frozen).
  const spent = await fetch(`${api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${callers.rate.key}`, "content-type": "application/json" },
    body: JSON.stringify(ask("the one request")),
  });
  expect(spent.status).toBe(200);
}, 60_000);
afterAll(() => api?.close());

describe("the spend matrix", () => {
  it("has a row for every procedure, route and job kind that can reach a model, and no stale one", () => {
    const procedures = procedureNames(appRouter);
    expect(withoutRow(procedures, procedureRows, [...neverPaidProcedures, ...rerunsJobs])).toEqual([]);
    const routes = restRoutes(api.services);
    expect(withoutRow(routes, restRows(), neverPaidRoutes)).toEqual([]);
    const kinds = api.services.jobs.catalog.list().map((k) => k.kind);
    expect(withoutRow(kinds, jobRows(), neverPaidJobs)).toEqual([]);
    const listed = [...Object.keys(procedureRows), ...neverPaidProcedures, ...rerunsJobs];
    expect(
      listed.filter((p) => !procedures.includes(p)),
      "rows of procedures that are gone",
    ).toEqual([]);
    const listedRoutes = [...Object.keys(restRows()), ...neverPaidRoutes];
    expect(
      listedRoutes.filter((r) => !routes.includes(r)),
      "rows of routes that are gone",
    ).toEqual([]);
  });

  for (const refusal of ["budget", "rate"] as const) {
    it(`refuses every paid path ${refusal === "budget" ? "on a $0 budget" : "past a tight rate limit"}`, async () => {
      const rows = { ...procedureRows, ...restRows(), ...prefixed("job ", jobRows()) };
      const failures: string[] = [];
      for (const [name, row] of Object.entries(rows)) {
        try {
          await row(callers[refusal]);
        } catch (error) {
          failures.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
        }
      }
      expect(failures).toEqual([]);
      if (refusal === "budget") {
        // Nothing reached a provider on the tenant's account.
        const { rows: spent } = await sql<{ cost: string }>`
          select coalesce(sum(cost_micros), 0) as cost from llm_calls where tenant_id = ${callers.budget.tenantId}`.execute(
          t.db,
        );
        expect(Number(spent[0]!.cost)).toBe(0);
      }
    }, 120_000);
  }

  it("catches a path that reaches a model outside the gate", async () => {
    // A fixture procedure that calls the runtime directly, as a careless new feature might.
    const leaky = router({
      ...(appRouter._def.record as unknown as Record<string, never>),
      fixture: router({
        spend: tenantProcedure.mutation(({ ctx }) =>
          ctx.runtime.complete(
            { model: "sim-small", messages: [{ role: "user", content: "unguarded" }] },
            { tenantId: ctx.principal.tenant.id },
          ),
        ),
      }),
    });
    // With no row, the coverage check names it.
    expect(withoutRow(procedureNames(leaky), procedureRows, [...neverPaidProcedures, ...rerunsJobs])).toEqual(
      ["fixture.spend"],
    );
    // Given a row, the row fails: the $0 tenant is answered, and charged.
    const broke = callers.budget;
    const caller = leaky.createCaller({
      ...api.services,
      requestId: "leak",
      apiKey: broke.key,
    }) as unknown as {
      fixture: { spend(): Promise<{ costMicros: number }> };
    };
    const answered = await caller.fixture.spend().then(
      (c) => c,
      (e: unknown) => e,
    );
    expect(answered, `a refusal would be ${STATUS.budget}`).toMatchObject({ costMicros: expect.any(Number) });
    expect((answered as { costMicros: number }).costMicros).toBeGreaterThan(0);
  });
});

function prefixed(prefix: string, rows: Record<string, Row>): Record<string, Row> {
  return Object.fromEntries(Object.entries(rows).map(([k, v]) => [`${prefix}${k}`, v]));
}
