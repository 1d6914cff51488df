import type { Db } from "@sluice/db";
import { sql } from "kysely";

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
  const deadline = Date.now() + timeoutMs;
  let last = await storedState(db);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await storedState(db);
    if (JSON.stringify(now) === JSON.stringify(last) || Date.now() > deadline) return now;
    last = now;
  }
}
