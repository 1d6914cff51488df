import { startTestApi, type TestApi } from "@sluice/api/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { ticketDataset } from "@sluice/simulator";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluiceClient, type SluiceClient } from "../src/createSluiceClient.ts";

const t = useTestDatabase();
let api: TestApi;
let admin: SluiceClient;
let a: SluiceClient;
let b: SluiceClient;
const tickets = ticketDataset(42)
  .slice(0, 3)
  .map((x) => ({ subject: x.subject, body: x.body, customerEmail: x.customerEmail }));

beforeAll(async () => {
  api = await startTestApi(t, { worker: true });
  admin = createSluiceClient({ url: api.url, apiKey: api.admin.key });
  a = createSluiceClient({ url: api.url, apiKey: api.a.key, headers: { "X-Request-ID": "client-a" } });
  b = createSluiceClient({ url: api.url, apiKey: api.b.key });
});
afterAll(() => api.close());

async function failure(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    if (error instanceof TRPCClientError)
      return error.data as {
        httpStatus: number;
        error: { code: string; details?: unknown };
        request_id: string;
      };
    throw error;
  }
  throw new Error("expected a failure");
}

describe("typed client against the running API", () => {
  it("checks health without a key", async () => {
    const health = await createSluiceClient({ url: api.url }).health.check.query();
    expect(health.status).toBe("ready");
  });

  it("runs the ticket workflow: create, list, classify, get, stats", async () => {
    const created = await a.tickets.create.mutate({ tickets });
    expect(created).toHaveLength(3);
    const page = await a.tickets.list.query({ limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();
    const one = await a.tickets.classify.mutate({ id: created[0]!.id });
    expect(one.classifiedAt).toBeInstanceOf(Date);
    const pending = await a.tickets.classifyPending.mutate();
    expect(pending).toMatchObject({ kind: "tickets.classifyBatch", status: "queued" });
    await expect
      .poll(async () => (await a.jobs.get.query({ id: pending.id })).status, { timeout: 15_000 })
      .toBe("completed");
    expect((await a.jobs.result.query({ id: pending.id })).result).toMatchObject({ total: 2, classified: 2 });
    const fetched = await a.tickets.get.query({ id: created[1]!.id });
    expect(fetched.urgency).not.toBeNull();
    expect((await a.tickets.stats.query()).classified).toBe(3);
  });

  it("completes chats and cascades, embeds, and reports usage", async () => {
    const chat = await a.chat.complete.mutate({
      model: "sim-small",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.modelUsed).toBe("sim-small");
    const cascades = await a.cascade.list.query();
    expect(cascades.map((c) => c.name)).toContain("simulator");
    const run = await a.cascade.run.mutate({
      name: "simulator",
      request: { messages: [{ role: "user", content: "hello" }] },
    });
    expect(run.cascade?.attempts.length).toBeGreaterThan(0);
    const e = await a.embeddings.create.mutate({
      model: "text-embedding-3-small",
      input: "x",
      dimensions: 8,
    });
    expect(e.vectors[0]).toHaveLength(8);
    // The call log is written in batches: write what it holds before reading the usage.
    await api.services.runtime.callLog.flush();
    const usage = await a.stats.usage.query();
    expect(usage.totals.calls).toBeGreaterThan(0);
    expect(usage.totals.cascadeRuns).toBeGreaterThan(0);
  });

  it("lets admins manage tenants and keys; a new key works once, a revoked one never", async () => {
    const tenant = await admin.tenants.create.mutate({ name: `new-${Date.now()}`, rateLimitRpm: 100 });
    const { plaintext, key } = await admin.apiKeys.create.mutate({ tenantId: tenant.id, name: "svc" });
    const fresh = createSluiceClient({ url: api.url, apiKey: plaintext });
    expect((await fresh.tickets.stats.query()).total).toBe(0);
    expect((await admin.apiKeys.list.query({ tenantId: tenant.id })).map((k) => k.id)).toEqual([key.id]);
    await admin.apiKeys.revoke.mutate({ id: key.id });
    expect((await failure(() => fresh.tickets.stats.query())).httpStatus).toBe(401);
    expect(
      (await admin.tenants.setLimits.mutate({ id: tenant.id, dailyBudgetMicros: 5 })).dailyBudgetMicros,
    ).toBe(5);
    expect((await admin.tenants.disable.mutate({ id: tenant.id })).disabledAt).toBeInstanceOf(Date);
    expect((await failure(() => admin.tenants.create.mutate({ name: tenant.name }))).error.code).toBe(
      "conflict",
    );
  });

  it("answers in the error envelope: 401 without a key, 403 for tenants calling admin, 400 with paths", async () => {
    const anonymous = await failure(() => createSluiceClient({ url: api.url }).tickets.stats.query());
    expect([anonymous.httpStatus, anonymous.error.code]).toEqual([401, "unauthorized"]);
    const forbidden = await failure(() => a.tenants.list.query());
    expect([forbidden.httpStatus, forbidden.error.code, forbidden.request_id]).toEqual([
      403,
      "forbidden",
      "client-a",
    ]);
    const invalid = await failure(() =>
      a.chat.complete.mutate({ model: "sim-small", messages: [], temperature: 9 } as never),
    );
    expect([invalid.httpStatus, invalid.error.code]).toEqual([400, "validation_error"]);
    // No internals: tRPC's default shape carries a stack trace outside production.
    expect(invalid).not.toHaveProperty("stack");
    const bad = await failure(() =>
      a.tickets.create.mutate({ tickets: [{ subject: "", body: "b", customerEmail: "nope" }] }),
    );
    expect(bad.error.details).toMatchObject({
      issues: expect.arrayContaining([expect.objectContaining({ path: "0.customerEmail" })]),
    });
  });

  it("never shows or changes another tenant's tickets", async () => {
    const [mine] = await a.tickets.create.mutate({ tickets: [tickets[0]!] });
    for (const call of [
      () => b.tickets.get.query({ id: mine!.id }),
      () => b.tickets.classify.mutate({ id: mine!.id }),
    ]) {
      const error = await failure(call);
      expect([error.httpStatus, error.error.code]).toEqual([404, "not_found"]);
    }
    const many = await b.tickets.classifyMany.mutate({ ids: [mine!.id] });
    expect(many[0]).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect((await b.tickets.list.query({ limit: 100 })).items.map((x) => x.id)).not.toContain(mine!.id);
    expect((await a.tickets.get.query({ id: mine!.id })).classifiedAt).toBeNull();
  });
});
