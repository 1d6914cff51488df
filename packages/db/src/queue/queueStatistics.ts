import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { BOSS_SCHEMA } from "./jobQueue.ts";

/**
 * The columns pg-boss's fetch filters and orders on. Only these are analyzed: the planner's choice
 * of fetch plan depends on them, and leaving out payloads and outputs (jsonb) makes an ANALYZE
 * several times cheaper.
 */
export const FETCH_COLUMNS = [
  "name",
  "state",
  "blocked",
  "start_after",
  "priority",
  "created_on",
  "policy",
  "singleton_key",
  "group_id",
] as const;

/**
 * pg-boss job tables whose planner statistics are stale: they were analyzed (or vacuumed) before,
 * and hold more than `minChanges` rows and more than twice the rows the statistics believe in. A
 * job table analyzed while nearly empty makes Postgres pick a slow plan for every fetch once a
 * backlog arrives; autovacuum only notices after its naptime (a minute by default). A table never
 * analyzed is left alone: Postgres plans it from its actual size, which serves the fetch well, and
 * analyzing it in the middle of a drain would cost more than it saves.
 */
export async function staleQueueTables(db: Db, minChanges = 500): Promise<string[]> {
  const { rows } = await sql<{ table: string }>`
    select s.relname as table
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = ${BOSS_SCHEMA} and c.reltuples >= 0
      -- job tables: job_common, a queue's own partition, or job itself when it is not partitioned
      and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'start_after' and not a.attisdropped)
      and s.n_live_tup > greatest(${minChanges}, c.reltuples * 2)`.execute(db);
  return rows.map((r) => r.table);
}

/** Refreshes the planner statistics of a pg-boss job table's fetch columns. */
export async function analyzeQueueTable(db: Db, table: string): Promise<void> {
  await sql`analyze ${sql.table(`${BOSS_SCHEMA}.${table}`)} (${sql.join(FETCH_COLUMNS.map((c) => sql.ref(c)))})`.execute(
    db,
  );
}
