// A fresh database per benchmark target on one Postgres server (DATABASE_URL's, or an embedded one).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { BOSS_SCHEMA, resolveDatabase, withDatabase } from "../packages/db/src/index.ts";
import { dropDatabase, withAdminClient } from "../packages/db/src/testing/templateDatabase.ts";

/** The Postgres server benchmarks run on, and fresh databases on it. */
export async function benchServer() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-bench-"));
  fs.chmodSync(home, 0o755);
  const server = await resolveDatabase({
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.join(home, "pg"),
    handleSignals: false,
  });
  const admin = withDatabase(server.url, "postgres");
  const created: string[] = [];
  return {
    /** Creates an empty database and returns its URL. */
    async database(label: string): Promise<string> {
      const name = `sluice_bench_${label}_${Date.now().toString(36)}`;
      await withAdminClient(admin, (c) => c.query(`create database ${name}`));
      created.push(name);
      return withDatabase(server.url, name);
    },
    async close() {
      // BENCH_KEEP=1 leaves the databases for inspection (drop them by hand afterwards).
      if (!process.env.BENCH_KEEP)
        for (const name of created) await dropDatabase(admin, name).catch(() => {});
      await server.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Runs `work` with a client of its own on `url`. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function count(client: pg.Client, query: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(query);
  return Number(rows[0]?.n);
}

/** Jobs pg-boss's table holds as completed. */
export const completedInQueue = (client: pg.Client) =>
  count(client, `select count(*) as n from ${BOSS_SCHEMA}.job where state = 'completed'`);

/** Jobs Sluice's mirror holds as completed. */
export const completedInMirror = (client: pg.Client) =>
  count(client, "select count(*) as n from jobs where status = 'completed'");

/** Makes pg-boss's job table look the way the trap needs: analyzed while empty, autovacuum off. */
export function staleStatistics(url: string): Promise<void> {
  return withClient(url, async (client) => {
    await client.query(`analyze ${BOSS_SCHEMA}.job_common`);
    await client.query(`alter table ${BOSS_SCHEMA}.job_common set (autovacuum_enabled = false)`);
  });
}
