import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { BOSS_SCHEMA } from "./jobQueue.ts";

/**
 * pg-boss job tables whose planner statistics are stale: changed rows since the last ANALYZE
 * exceed `minChanges` and a fifth of the rows the statistics believe in. A job table analyzed
 * while nearly empty makes Postgres pick a slow plan for every fetch once a backlog arrives;
 * autovacuum only notices after its naptime (a minute by default).
 */
export async function staleQueueTables(db: Db, minChanges = 500): Promise<string[]> {
  const { rows } = await sql<{ table: string }>`
    select s.relname as table
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = ${BOSS_SCHEMA} and s.relname like 'job%'
      and s.n_mod_since_analyze > greatest(${minChanges}, c.reltuples * 0.2)`.execute(db);
  return rows.map((r) => r.table);
}

/** Refreshes a pg-boss table's planner statistics. */
export async function analyzeQueueTable(db: Db, table: string): Promise<void> {
  await sql`analyze ${sql.table(`${BOSS_SCHEMA}.${table}`)}`.execute(db);
}
