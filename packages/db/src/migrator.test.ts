import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runScript } from "../test/subprocess.ts";
import { withDatabase } from "./connectionUrl.ts";
import { createDb } from "./createDb.ts";
import { migrations } from "./migrations/index.ts";
import { migrateDown, migrateToLatest, migrateUp, migrationStatus } from "./migrator.ts";
import { dropDatabase, withAdminClient } from "./testing/templateDatabase.ts";

const adminUrl = inject("sluiceAdminUrl");
const ALL_TABLES = [
  "api_key_rate_windows",
  "api_keys",
  "batch_requests",
  "batch_responses",
  "batches",
  "budget_alerts",
  "budget_leases",
  "budget_scope_leases",
  "budget_spend",
  "cascade_attempts",
  "cascade_runs",
  "dead_letter_alerts",
  "dead_letters",
  "file_chunks",
  "files",
  "job_events",
  "jobs",
  "llm_cache",
  "llm_calls",
  "llm_usage_daily",
  "openai_batches",
  "rate_limit_windows",
  "tenant_daily_spend",
  "tenants",
  "tickets",
  "webhook_deliveries",
];
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `sluice_mig_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(adminUrl, (c) => c.query(`create database ${name}`));
  created.push(name);
  return withDatabase(adminUrl, name);
}

async function tableNames(url: string): Promise<string[]> {
  const db = createDb(url, { max: 1 });
  try {
    const { rows } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_name not like 'sluice_migrations%' order by 1`.execute(db);
    return rows.map((r) => r.name);
  } finally {
    await db.destroy();
  }
}

afterAll(async () => {
  for (const name of created) await dropDatabase(adminUrl, name);
});

describe("migrator", () => {
  const all = Object.keys(migrations);

  it("migrates up, down and up again on a fresh database", async () => {
    const url = await freshDatabase();
    const db = createDb(url);
    try {
      expect((await migrationStatus(db)).every((m) => m.executedAt === null)).toBe(true);
      expect((await migrateToLatest(db)).applied).toEqual(all);
      expect(await tableNames(url)).toEqual(ALL_TABLES);
      expect((await migrationStatus(db)).every((m) => m.executedAt instanceof Date)).toBe(true);

      for (const name of [...all].reverse()) expect((await migrateDown(db)).reverted).toEqual([name]);
      expect(await tableNames(url)).toEqual([]);
      expect((await migrateDown(db)).reverted).toEqual([]);

      expect((await migrateUp(db)).applied).toEqual([all[0]]);
      await migrateToLatest(db);
      expect(await tableNames(url)).toEqual(ALL_TABLES);
      expect((await migrateToLatest(db)).applied).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it("two processes migrating at once end with one applied set", async () => {
    const url = await freshDatabase();
    const script = fileURLToPath(new URL("../test/fixtures/migrateOnce.ts", import.meta.url));
    const [a, b] = await Promise.all([runScript(script, [url]), runScript(script, [url])]);
    expect(a.stderr + b.stderr).toBe("");
    expect([a.code, b.code]).toEqual([0, 0]);
    const applied = [a, b].flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied);
    expect(applied.sort()).toEqual([...all].sort());
    const db = createDb(url, { max: 1 });
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from sluice_migrations`.execute(db);
      expect(rows[0]?.n).toBe(all.length);
    } finally {
      await db.destroy();
    }
  });
});
