import { sql } from "kysely";
import type { Db } from "../createDb.ts";

// One session lock for the whole maintenance pass (pg-boss's install lock is 7_212_514_010).
const MAINTENANCE_LOCK = 7_212_514_020;

/**
 * Runs `work` on one connection holding the maintenance lock, or not at all when another session
 * (another worker's pass) holds it: `{ ran: false }`. The lock is a session advisory lock, so a
 * worker that dies mid-pass gives it up with its connection.
 */
export async function withMaintenanceLock<T>(
  db: Db,
  work: (connection: Db) => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as locked`.execute(connection);
    if (!rows[0]?.locked) return { ran: false } as const;
    try {
      return { ran: true, value: await work(connection) } as const;
    } finally {
      await sql`select pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(connection);
    }
  });
}

/**
 * Deletes up to `limit` jobs that finished (completed, cancelled or dead) before `before`; their
 * events, webhook deliveries and dead-letter rows go with them. Returns how many jobs.
 */
export async function deleteFinishedJobsBefore(db: Db, before: Date, limit: number): Promise<number> {
  // A job finishes after it is created: the created_at bound lets the block-range index skip the
  // recent part of the table.
  const { rows } = await sql<{ n: number }>`
    with gone as (
      delete from jobs where id in (
        select id from jobs
        where created_at < ${before} and finished_at < ${before}
          and status in ('completed', 'cancelled', 'dead')
        limit ${limit} for update skip locked)
      returning 1)
    select count(*)::int as n from gone`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
