import {
  type BatchService,
  type BatchWorkDeps,
  type BudgetAlert,
  createBatchService,
  createBudgetAlerter,
  createJobCatalog,
  createJobService,
  createLlmRuntime,
  type JobService,
  type LlmRuntime,
  parseConfig,
  pollBatch,
  resolveBatchTarget,
  submitBatch,
  tierMaxCostMicros,
} from "@sluice/core";
import {
  findBatchById,
  insertTenant,
  type JobQueue,
  modelUsageByDay,
  startJobQueue,
  updateTenantLimits,
} from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { type ManualClock, manualClock, type RunningSimulator, startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Provider batches under the tenant's budget, step by step: a tier reserves its most at batch
// pricing when it is sent, books its answers as they are read, and gives the rest back when it ends.
const t = useTestDatabase();
let clock: ManualClock;
let simulator: RunningSimulator;
let queue: JobQueue;
let jobs: JobService;
let runtime: LlmRuntime;
let batches: BatchService;
let deps: BatchWorkDeps;

beforeAll(async () => {
  clock = manualClock();
  simulator = await startSimulator({
    seed: 42,
    clock,
    batchTimings: { validatingMs: 10, inProgressMs: 100, finalizingMs: 10 },
  });
  const catalog = createJobCatalog();
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
  jobs = createJobService({ db: t.db, queue, catalog });
  runtime = createLlmRuntime(
    parseConfig({ SLUICE_SIMULATOR_URL: simulator.url, SLUICE_HOME: "/nonexistent-sluice-home" }),
    t.db,
  );
  batches = createBatchService({ db: t.db, jobs, runtime });
  deps = { db: t.db, jobs, runtime, pollIntervalMs: 50, signal: new AbortController().signal };
});
afterAll(async () => {
  await runtime.close();
  await queue.stop({ graceful: false });
  await simulator.close();
});

const requests = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    customId: `r-${i}`,
    body: { messages: [{ role: "user", content: `Say hello to number ${i}.` }], max_tokens: 32 },
  }));

async function tenantWithBudget(name: string, dailyBudgetMicros: number) {
  const tenant = await insertTenant(t.db, { name });
  await updateTenantLimits(t.db, tenant.id, { dailyBudgetMicros });
  return { tenantId: tenant.id };
}

/** The tenant's budget row for today: reserved and spent micro-dollars. */
async function daySpend(tenantId: string) {
  const { rows } = await sql<{ reserved: string; spent: string }>`
    select coalesce(sum(reserved_micros), 0) as reserved, coalesce(sum(spent_micros), 0) as spent
    from tenant_daily_spend where tenant_id = ${tenantId}`.execute(t.db);
  return { reserved: Number(rows[0]!.reserved), spent: Number(rows[0]!.spent) };
}

/** What the call log holds for a batch: rows and their total cost. */
async function callLog(batchId: string) {
  const { rows } = await sql<{ n: string; cost: string }>`
    select count(*) as n, coalesce(sum(cost_micros), 0) as cost from llm_calls where batch_id = ${batchId}`.execute(
    t.db,
  );
  return { rows: Number(rows[0]!.n), cost: Number(rows[0]!.cost) };
}

const pollSeq = async (id: string) => (await findBatchById(t.db, id))!.pollSeq;

describe("provider batches under the tenant's budget", () => {
  it("a tier reserves its most at batch pricing when sent, books what it cost, and leaves nothing reserved", async () => {
    const scope = await tenantWithBudget("batch-budget", 1_000_000);
    const created = await batches.create(scope, { name: "paid", model: "sim-small", requests: requests(5) });
    const target = resolveBatchTarget(runtime, "sim-small");
    const most = await tierMaxCostMicros(t.db, (await findBatchById(t.db, created.id))!, target);
    expect(most).toBeGreaterThan(0);
    await batches.submit(scope, created.id);
    await submitBatch(deps, { batchId: created.id, tier: 0 });
    expect(await daySpend(scope.tenantId)).toEqual({ reserved: most, spent: 0 });
    clock.advance(1_000);
    expect((await pollBatch(deps, { batchId: created.id, seq: await pollSeq(created.id) })).status).toBe(
      "completed",
    );
    const batch = await batches.get(scope, created.id);
    expect(batch.costMicros).toBeGreaterThan(0);
    expect(batch.costMicros).toBeLessThanOrEqual(most);
    // What clients are shown is what the budget and the call log hold, and nothing stays reserved.
    expect(await daySpend(scope.tenantId)).toEqual({ reserved: 0, spent: batch.costMicros });
    expect(await callLog(created.id)).toEqual({ rows: 5, cost: batch.costMicros });
    // Usage stats read the call log: the batch's spend is in them.
    const usage = await modelUsageByDay(t.db, scope.tenantId, new Date(Date.now() - 86_400_000));
    expect(usage.reduce((sum, u) => sum + u.costMicros, 0)).toBe(batch.costMicros);
    expect((await findBatchById(t.db, created.id))!.budgetHolder).toBeNull();
  });

  it("a batch whose booked spend crosses the tenant's alert share raises the period's soft alert once", async () => {
    const scope = await tenantWithBudget("batch-alert", 1_000_000);
    const raised: BudgetAlert[] = [];
    const alerts = createBudgetAlerter({ db: t.db, onAlert: (alert) => raised.push(alert) });
    const withAlerts = { ...deps, alerts };
    const run = async (name: string) => {
      const created = await batches.create(scope, { name, model: "sim-small", requests: requests(3) });
      await batches.submit(scope, created.id);
      await submitBatch(withAlerts, { batchId: created.id, tier: 0 });
      clock.advance(1_000);
      await pollBatch(withAlerts, { batchId: created.id, seq: await pollSeq(created.id) });
      return batches.get(scope, created.id);
    };
    const first = await run("under the share");
    expect(first.costMicros).toBeGreaterThan(0);
    expect(raised).toEqual([]);
    // The share now sits below what the tenant has spent: the next booked spend crosses it.
    await updateTenantLimits(t.db, scope.tenantId, { budgetAlertShare: first.costMicros / 1_000_000 });
    await run("crosses the share");
    await run("after the alert");
    expect(raised.map((a) => [a.budget, a.tenantId])).toEqual([["tenant_day", scope.tenantId]]);
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from budget_alerts where tenant_id = ${scope.tenantId}`.execute(t.db);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it("a $0 budget refuses the submission with budget_exceeded and nothing is sent", async () => {
    const scope = await tenantWithBudget("batch-zero", 0);
    await expect(
      batches.create(scope, { name: "refused", model: "sim-small", requests: requests(2), submit: true }),
    ).rejects.toMatchObject({ code: "budget_exceeded" });
    const draft = await batches.create(scope, { name: "draft", model: "sim-small", requests: requests(2) });
    await expect(batches.submit(scope, draft.id)).rejects.toMatchObject({ code: "budget_exceeded" });
    expect((await batches.get(scope, draft.id)).status).toBe("draft");
    expect(await daySpend(scope.tenantId)).toEqual({ reserved: 0, spent: 0 });
  });

  it("a budget spent before the tier is sent ends the batch failed with budget_exceeded, once", async () => {
    const scope = await tenantWithBudget("batch-late", 1_000_000);
    const created = await batches.create(scope, {
      name: "late",
      model: "sim-small",
      requests: requests(3),
      submit: true,
    });
    await updateTenantLimits(t.db, scope.tenantId, { dailyBudgetMicros: 0 });
    expect(await submitBatch(deps, { batchId: created.id, tier: 0 })).toMatchObject({ status: "failed" });
    const batch = await batches.get(scope, created.id);
    expect(batch).toMatchObject({ status: "failed", counts: { total: 3, errored: 3 } });
    expect(batch.error).toMatch(/budget/);
    const responses = (await batches.listResponses(scope, created.id, { limit: 10 })).items;
    for (const r of responses) expect(r.error).toMatchObject({ code: "budget_exceeded" });
    // A retried submit job finds the batch ended and sends nothing.
    expect(await submitBatch(deps, { batchId: created.id, tier: 0 })).toMatchObject({ status: "failed" });
    expect(await daySpend(scope.tenantId)).toEqual({ reserved: 0, spent: 0 });
  });

  it("a batch cancelled at its provider gives back what its tier did not spend", async () => {
    const scope = await tenantWithBudget("batch-cancel", 1_000_000);
    const created = await batches.create(scope, {
      name: "cancelled",
      model: "sim-small",
      requests: requests(4),
      submit: true,
    });
    await submitBatch(deps, { batchId: created.id, tier: 0 });
    expect((await daySpend(scope.tenantId)).reserved).toBeGreaterThan(0);
    await batches.cancel(scope, created.id);
    expect((await pollBatch(deps, { batchId: created.id, seq: -1 })).status).toBe("cancelling");
    clock.advance(1_000); // the provider has stopped the batch
    expect((await pollBatch(deps, { batchId: created.id, seq: await pollSeq(created.id) })).status).toBe(
      "cancelled",
    );
    const batch = await batches.get(scope, created.id);
    expect(batch.status).toBe("cancelled");
    expect(await daySpend(scope.tenantId)).toEqual({ reserved: 0, spent: batch.costMicros });
  });
});
