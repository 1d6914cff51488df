import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../testing/testDatabase.ts";
import { type JobQueue, startJobQueue } from "./jobQueue.ts";
import { analyzeQueueTable, FETCH_COLUMNS, staleQueueTables } from "./queueStatistics.ts";

const t = useTestDatabase();
let queue: JobQueue;

beforeAll(async () => {
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues([
    {
      name: "stats",
      deadLetter: "stats.dead",
      retryLimit: 0,
      retryDelaySeconds: 1,
      retryBackoff: false,
      retryDelayMaxSeconds: 1,
      expireInSeconds: 60,
    },
  ]);
});
afterAll(() => queue.stop({ graceful: false }));

async function addJobs(n: number): Promise<void> {
  const jobs = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), data: { n: i }, priority: 0 }));
  await queue.insert(t.db, "stats", jobs);
}

async function statistics(): Promise<{ reltuples: number; columns: string[] }> {
  const { rows } = await sql<{ reltuples: number }>`
    select reltuples from pg_class where oid = 'pgboss.job_common'::regclass`.execute(t.db);
  const cols = await sql<{ attname: string }>`
    select attname from pg_stats where schemaname = 'pgboss' and tablename = 'job_common' order by attname`.execute(
    t.db,
  );
  return { reltuples: Number(rows[0]?.reltuples), columns: cols.rows.map((r) => r.attname) };
}

// pg_stat counters reach the view when a backend reports them: at the end of a transaction, at
// most once a second, and a backend that went idle with counts it could not report yet reports
// them within 10 s (PostgreSQL 15's idle interval). Wait until the live row count is in, then ask.
async function staleTablesOnceCounted(liveRows: number): Promise<string[]> {
  const counted = async () => {
    await sql`select pg_stat_clear_snapshot()`.execute(t.db);
    const { rows } = await sql<{ live: string }>`
      select n_live_tup as live from pg_stat_user_tables where schemaname = 'pgboss' and relname = 'job_common'`.execute(
      t.db,
    );
    return Number(rows[0]?.live);
  };
  await expect
    .poll(counted, { timeout: 15_000, interval: 100, message: "pg_stat's live rows" })
    .toBe(liveRows);
  return staleQueueTables(t.db);
}

describe("queue statistics", () => {
  it("leaves a never-analyzed job table alone, and refreshes one analyzed while empty, on its fetch columns only", async () => {
    // Never analyzed: Postgres plans it from its actual size.
    await addJobs(800);
    expect((await statistics()).reltuples).toBe(-1);
    expect(await staleTablesOnceCounted(800)).toEqual([]);

    // Analyzed while empty, then a backlog arrives: stale.
    await sql`delete from pgboss.job_common`.execute(t.db);
    expect(await staleTablesOnceCounted(0)).toEqual([]);
    await sql`analyze pgboss.job_common`.execute(t.db);
    expect((await statistics()).reltuples).toBe(0);
    await addJobs(800);
    expect(await staleTablesOnceCounted(800)).toEqual(["job_common"]);

    await analyzeQueueTable(t.db, "job_common");
    const after = await statistics();
    expect(after.reltuples).toBe(800);
    // The payload column is not analyzed (the fetch never filters on it).
    expect(after.columns).not.toContain("data");
    expect(after.columns).toEqual(expect.arrayContaining(["name", "state", "start_after", "priority"]));
    expect(after.columns.every((c) => (FETCH_COLUMNS as readonly string[]).includes(c))).toBe(true);
    expect(await staleTablesOnceCounted(800)).toEqual([]);
    // Four waits for pg_stat, each up to its 10 s idle interval on a loaded machine.
  }, 60_000);
});
