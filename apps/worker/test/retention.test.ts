import { createHash, randomUUID } from "node:crypto";
import { createTestClock } from "@sluice/core/testing";
import {
  BOSS_SCHEMA,
  insertApiKey,
  insertLlmCalls,
  insertTenant,
  startJobQueue,
  withMaintenanceLock,
} from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startMaintenance } from "../src/engine/maintenance.ts";
import type { RetentionOutcome, RetentionTable } from "../src/engine/retentionPass.ts";
import { createWorkerMetrics } from "../src/metrics/workerMetrics.ts";

const t = useTestDatabase();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const logger = pino({ level: "silent" });
const retention = { jobsDays: 30, webhookDeliveriesDays: 7, llmCallsDays: 10, chunkRows: 2 };

/** Rows of every pruned table, each `inside` or `outside` its retention by an hour, at `now`. */
async function seed(tenantId: string, now: number) {
  const at = (ms: number) => new Date(now - ms);
  await t.db
    .insertInto("llmCache")
    .values(
      [-MINUTE, -MINUTE, HOUR].map((ttl, i) => ({
        key: `${tenantId}:${i}`,
        tenantId,
        model: "sim-small",
        response: "{}",
        inputTokens: 1,
        outputTokens: 1,
        expiresAt: new Date(now + ttl),
      })),
    )
    .execute();
  const call = (ageMs: number) => ({
    tenantId,
    kind: "chat" as const,
    model: "sim-small",
    provider: "simulator",
    inputTokens: 5,
    outputTokens: 2,
    costMicros: 3,
    latencyMs: 10,
    cacheHit: false,
    status: "ok" as const,
    createdAt: at(ageMs),
  });
  await insertLlmCalls(t.db, [call(10 * DAY + HOUR), call(10 * DAY + 2 * HOUR), call(10 * DAY - HOUR)]);
  const job = async (status: string, ageMs: number) => {
    const id = randomUUID();
    const finished = ["completed", "cancelled", "dead"].includes(status) ? at(ageMs) : null;
    await sql`insert into jobs (id, tenant_id, kind, queue, status, payload, max_attempts, created_at, finished_at)
      values (${id}, ${tenantId}, 'test.keep', 'test.keep', ${status}, '{}', 1, ${at(ageMs + HOUR)}, ${finished})`.execute(
      t.db,
    );
    return id;
  };
  const oldCompleted = await job("completed", 30 * DAY + HOUR);
  await job("cancelled", 30 * DAY + HOUR);
  await job("dead", 31 * DAY);
  await job("completed", 30 * DAY - HOUR);
  // Not finished: kept whatever their age.
  await job("failed", 40 * DAY);
  const active = await job("active", 40 * DAY);
  await sql`insert into dead_letters (job_id, kind, error_code)
    select id, kind, 'model_error' from jobs where tenant_id = ${tenantId} and status = 'dead'`.execute(t.db);
  await sql`insert into job_events (job_id, tenant_id, type, created_at) values
    (${active}, ${tenantId}, 'queued', ${at(14 * DAY + HOUR)}),
    (${active}, ${tenantId}, 'started', ${at(14 * DAY + 2 * HOUR)}),
    (${active}, ${tenantId}, 'progress', ${at(14 * DAY - HOUR)}),
    (${oldCompleted}, ${tenantId}, 'completed', ${at(20 * DAY)})`.execute(t.db);
  const key = await insertApiKey(t.db, {
    tenantId,
    role: "tenant",
    keyPrefix: tenantId.slice(0, 8),
    keyHash: createHash("sha256").update(tenantId).digest("hex"),
  });
  // A key's rate windows count one minute each: those over an hour old go.
  await sql`insert into api_key_rate_windows (api_key_id, window_start, requests, tokens) values
    (${key.id}, ${at(2 * HOUR)}, 1, 10), (${key.id}, ${at(MINUTE)}, 1, 10)`.execute(t.db);
  // A key's day five days back is over and settled; today's is not over.
  const day = (ms: number) => at(ms).toISOString().slice(0, 10);
  await sql`insert into budget_spend (tenant_id, scope, subject, period, spent_micros) values
    (${tenantId}, 'key_day', ${key.id}, ${day(5 * DAY)}, 7), (${tenantId}, 'key_day', ${key.id}, ${day(0)}, 3)`.execute(
    t.db,
  );
  for (const [ageMs, jobId] of [
    [7 * DAY + HOUR, active],
    [7 * DAY + 3 * HOUR, active],
    [7 * DAY - HOUR, active],
    [31 * DAY, oldCompleted],
  ] as const) {
    await sql`insert into webhook_deliveries (job_id, delivery_job_id, tenant_id, url, event, attempt, duration_ms, delivered, created_at)
      values (${jobId}, ${randomUUID()}, ${tenantId}, 'http://hooks.example/x', 'completed', 1, 5, true, ${at(ageMs)})`.execute(
      t.db,
    );
  }
}

/** Rows each pruned table holds for a tenant (the call log: raw rows, and calls rolled into daily usage). */
async function counts(tenantId: string) {
  const { rows } = await sql<Record<string, number>>`select
    (select count(*) from llm_cache where tenant_id = ${tenantId})::int as llm_cache,
    (select count(*) from llm_calls where tenant_id = ${tenantId})::int as llm_calls,
    (select coalesce(sum(calls), 0) from llm_usage_daily where tenant_id = ${tenantId})::int as rolled_calls,
    (select count(*) from jobs where tenant_id = ${tenantId})::int as jobs,
    (select count(*) from dead_letters d join jobs j on j.id = d.job_id where j.tenant_id = ${tenantId})::int as dead_letters,
    (select count(*) from job_events where tenant_id = ${tenantId})::int as job_events,
    (select count(*) from webhook_deliveries where tenant_id = ${tenantId})::int as webhook_deliveries,
    (select count(*) from api_key_rate_windows w join api_keys k on k.id = w.api_key_id
      where k.tenant_id = ${tenantId})::int as key_windows,
    (select count(*) from budget_spend where tenant_id = ${tenantId})::int as budget_spend`.execute(t.db);
  return rows[0];
}

/** Clears what earlier tests left past retention at the clock's time (they share the database). */
async function clearOld(clock: ReturnType<typeof createTestClock>) {
  const sweep = maintenanceOn(clock);
  await sweep.deleteOldRows();
  sweep.stop();
}

function maintenanceOn(
  clock: ReturnType<typeof createTestClock>,
  extra: Parameters<typeof startMaintenance>[0] | object = {},
) {
  return startMaintenance({
    db: t.db,
    queues: [],
    eventRetentionDays: 14,
    retention,
    logger,
    retentionCheckMs: 10 * MINUTE,
    clock,
    ...extra,
  });
}

describe("retention", () => {
  it("prunes each table after its retention and not before, rolling old calls into daily usage", async () => {
    const tenant = await insertTenant(t.db, { name: "retention" });
    const clock = createTestClock(Date.UTC(2026, 5, 15, 12));
    await seed(tenant.id, clock.now());
    expect(await counts(tenant.id)).toEqual({
      llmCache: 3,
      llmCalls: 3,
      rolledCalls: 0,
      jobs: 6,
      deadLetters: 1,
      jobEvents: 4,
      webhookDeliveries: 4,
      keyWindows: 2,
      budgetSpend: 2,
    });
    const maintenance = maintenanceOn(clock);
    try {
      // The pass runs on the clock's timer, judging age by the clock, not the wall.
      clock.advance(10 * MINUTE);
      const outcome = await maintenance.deleteOldRows();
      expect(outcome?.ran).toBe(true);
      expect(await counts(tenant.id)).toEqual({
        llmCache: 1,
        llmCalls: 1,
        rolledCalls: 2,
        // The old completed, cancelled and dead ones went, with the dead one's dead-letter row.
        jobs: 3,
        deadLetters: 0,
        // The old completed job's event went with it; two more were past retention.
        jobEvents: 1,
        // Two past retention, and the old completed job's.
        webhookDeliveries: 1,
        keyWindows: 1,
        budgetSpend: 1,
      });
      // Two hours on, the rows an hour inside their retention are an hour past it.
      clock.advance(2 * HOUR);
      // The move fired the timer on its way, starting a pass judged at that moment; once it ends, one
      // more judges at the clock's time now.
      await maintenance.deleteOldRows();
      await maintenance.deleteOldRows();
      expect(await counts(tenant.id)).toEqual({
        llmCache: 0,
        llmCalls: 0,
        rolledCalls: 3,
        jobs: 2,
        deadLetters: 0,
        jobEvents: 0,
        webhookDeliveries: 0,
        keyWindows: 0,
        budgetSpend: 1,
      });
      const left = await sql<{ status: string }>`
        select status from jobs where tenant_id = ${tenant.id} order by status`.execute(t.db);
      expect(left.rows.map((r) => r.status)).toEqual(["active", "failed"]);
    } finally {
      maintenance.stop();
    }
  });

  it("runs in one worker at a time: a pass finding another's lock does nothing", async () => {
    const tenant = await insertTenant(t.db, { name: "retention-lock" });
    const clock = createTestClock(Date.UTC(2026, 6, 15, 12));
    await seed(tenant.id, clock.now());
    const passes: string[] = [];
    const maintenance = maintenanceOn(clock, { onPass: (o: string) => passes.push(o) });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // Another worker's pass, holding the lock until released.
    const other = withMaintenanceLock(t.db, async () => {
      locked();
      await held;
    });
    try {
      await isLocked;
      expect(await maintenance.deleteOldRows()).toEqual({ ran: false });
      expect((await counts(tenant.id))?.jobs).toBe(6);
      release();
      expect((await other).ran).toBe(true);
      expect((await maintenance.deleteOldRows())?.ran).toBe(true);
      expect((await counts(tenant.id))?.jobs).toBe(3);
      expect(passes).toEqual(["skipped", "ran"]);
    } finally {
      release();
      maintenance.stop();
    }
  });

  it("two workers' passes at once: one does the work, and the roll-up counts every call once", async () => {
    const tenant = await insertTenant(t.db, { name: "retention-race" });
    const clock = createTestClock(Date.UTC(2026, 7, 15, 12));
    await clearOld(clock);
    const calls = Array.from({ length: 400 }, (_, i) => ({
      tenantId: tenant.id,
      kind: "chat" as const,
      model: "sim-small",
      provider: "simulator",
      inputTokens: i,
      outputTokens: 1,
      costMicros: 2,
      latencyMs: 3,
      cacheHit: false,
      status: "ok" as const,
      createdAt: new Date(clock.now() - 11 * DAY - i * MINUTE),
    }));
    await insertLlmCalls(t.db, calls);
    const workers = [maintenanceOn(clock), maintenanceOn(clock)];
    try {
      const outcomes = await Promise.all(workers.map((w) => w.deleteOldRows()));
      const rolled = outcomes.map((o: RetentionOutcome | undefined) =>
        o?.ran ? (o.deleted.llm_calls ?? 0) : 0,
      );
      expect(rolled.filter((n) => n > 0)).toEqual([400]);
      const daily = await sql<{ calls: number; input: number }>`
        select sum(calls)::int as calls, sum(input_tokens)::int as input from llm_usage_daily
        where tenant_id = ${tenant.id}`.execute(t.db);
      expect(daily.rows[0]).toEqual({ calls: 400, input: (399 * 400) / 2 });
    } finally {
      for (const w of workers) w.stop();
    }
  });

  it("counts deleted rows per table in the worker's metrics", async () => {
    const tenant = await insertTenant(t.db, { name: "retention-metrics" });
    const clock = createTestClock(Date.UTC(2026, 8, 15, 12));
    await clearOld(clock);
    await seed(tenant.id, clock.now());
    const metrics = createWorkerMetrics();
    const maintenance = maintenanceOn(clock, {
      onDeleted: (table: RetentionTable, rows: number) => metrics.onRowsDeleted(table, rows),
      onPass: (outcome: "ran" | "skipped" | "failed") => metrics.onMaintenancePass(outcome),
    });
    try {
      await maintenance.deleteOldRows();
      const text = await metrics.registry.metrics();
      const deleted = (table: string) =>
        Number(
          new RegExp(`sluice_retention_rows_deleted_total\\{table="${table}"\\} (\\d+)`).exec(text)?.[1],
        );
      expect({
        llm_cache: deleted("llm_cache"),
        llm_calls: deleted("llm_calls"),
        jobs: deleted("jobs"),
        job_events: deleted("job_events"),
        webhook_deliveries: deleted("webhook_deliveries"),
        api_key_rate_windows: deleted("api_key_rate_windows"),
        budget_spend: deleted("budget_spend"),
      }).toEqual({
        llm_cache: 2,
        llm_calls: 2,
        jobs: 3,
        job_events: 2,
        webhook_deliveries: 2,
        api_key_rate_windows: 1,
        budget_spend: 1,
      });
      expect(text).toMatch(/sluice_maintenance_passes_total\{outcome="ran"\} 1/);
    } finally {
      maintenance.stop();
    }
  });

  it("has pg-boss delete its own copies of finished jobs after the queue retention", async () => {
    const queue = await startJobQueue({
      connectionString: t.url,
      supervise: true,
      superviseIntervalSeconds: 1,
      finishedRetentionSeconds: 2,
    });
    try {
      const name = "test.retained";
      await queue.ensureQueues([
        {
          name,
          deadLetter: `${name}.dead`,
          retryLimit: 0,
          retryDelaySeconds: 1,
          retryBackoff: false,
          retryDelayMaxSeconds: 1,
          expireInSeconds: 60,
        },
      ]);
      const settings = await sql<{ deletion: number }>`
        select deletion_seconds as deletion from ${sql.table(`${BOSS_SCHEMA}.queue`)} where name = ${name}`.execute(
        t.db,
      );
      expect(settings.rows[0]?.deletion).toBe(2);
      const id = randomUUID();
      await queue.insert(t.db, name, [{ id, data: {}, priority: 0 }]);
      const [fetched] = await queue.fetch(name, 1);
      await queue.complete(t.db, name, [{ id, retryCount: fetched!.retryCount }]);
      expect(await queue.jobState(name, id)).toBe("completed");
      // pg-boss judges age by Postgres's clock: this waits a few wall-clock seconds for its sweep.
      await expect.poll(() => queue.jobState(name, id), { timeout: 20_000, interval: 250 }).toBeNull();
    } finally {
      await queue.stop({ graceful: false });
    }
  });
});
