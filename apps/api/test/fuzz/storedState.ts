import type { Db } from "@sluice/db";
import { sql } from "@sluice/db/testing";
import { vi } from "vitest";

/** Tables a request can write. */
const STORED_TABLES = [
  "tenants",
  "api_keys",
  "tickets",
  "jobs",
  "job_events",
  "batches",
  "batch_requests",
  "batch_responses",
  "dead_letters",
  "llm_calls",
  "cascade_runs",
  "webhook_deliveries",
] as const;

/**
 * Row count and checksum of every stored table: any insert, update or delete changes it.
 * `last_used_at` moves on every authenticated call, so it is left out.
 */
export async function storedState(db: Db): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const table of STORED_TABLES) {
    const { rows } = await sql<{ n: string; sum: string | null }>`
      select count(*)::text as n,
             md5(string_agg(r::text, ',' order by r::text)) as sum
      from (select to_jsonb(t) - 'last_used_at' as r from ${sql.table(table)} t) rows`.execute(db);
    state[table] = `${rows[0]?.n} rows, ${rows[0]?.sum ?? "empty"}`;
  }
  return state;
}

/**
 * The stored state once earlier cases' background writes (streams still producing, batched call
 * logs) have landed: two reads in a row that agree.
 */
export async function settledState(db: Db, timeoutMs = 10_000): Promise<Record<string, string>> {
  let last: Record<string, string> | undefined;
  // The first read only sets a baseline; each later one, an interval on, compares with the one before.
  const agrees = async () => {
    const now = await storedState(db);
    const same = last !== undefined && JSON.stringify(now) === JSON.stringify(last);
    last = now;
    return same ? now : undefined;
  };
  // Still changing when the time is up: the caller compares the latest read.
  return vi
    .waitUntil(agrees, { timeout: timeoutMs, interval: 250 })
    .catch(async () => last ?? storedState(db));
}
