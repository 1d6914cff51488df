import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { decodeJobCursor, encodeJobCursor, type JobPage } from "./jobs.ts";
import { pageOf } from "./paging.ts";

/** Filters of a dead-letter listing. */
export interface DeadJobFilter {
  kind?: string | undefined;
  errorCode?: string | undefined;
  /** Died at or after. */
  since?: Date | undefined;
  /** Died before. */
  until?: Date | undefined;
  /** Include dead jobs that were already requeued (default false). */
  includeRequeued?: boolean | undefined;
}

function deadJobs(db: Db, filter: DeadJobFilter) {
  let query = db
    .selectFrom("deadLetters as d")
    .innerJoin("jobs as j", "j.id", "d.jobId")
    .where("j.status", "=", "dead");
  if (filter.kind) query = query.where("d.kind", "=", filter.kind);
  if (filter.errorCode) query = query.where("d.errorCode", "=", filter.errorCode);
  if (filter.since) query = query.where("d.diedAt", ">=", filter.since);
  if (filter.until) query = query.where("d.diedAt", "<", filter.until);
  if (!filter.includeRequeued) query = query.where("d.requeuedAt", "is", null);
  return query;
}

/** A page of dead jobs, most recent death first. */
export async function listDeadJobs(
  db: Db,
  filter: DeadJobFilter & { limit: number; cursor?: string | undefined },
): Promise<JobPage> {
  let query = deadJobs(db, filter).selectAll("j");
  const after = filter.cursor ? decodeJobCursor(filter.cursor) : undefined;
  if (after) {
    query = query.where(
      sql<boolean>`(d.died_at, d.job_id) < (select c.died_at, c.job_id from dead_letters c where c.job_id = ${after})`,
    );
  }
  const rows = await query
    .orderBy("d.diedAt", "desc")
    .orderBy("d.jobId", "desc")
    .limit(filter.limit + 1)
    .execute();
  return pageOf(rows, filter.limit, encodeJobCursor);
}

/** Dead jobs matching a filter, oldest death first, up to `limit` (locked for the caller's transaction). */
export async function lockDeadJobs(
  tx: Db,
  filter: DeadJobFilter & { ids?: string[] | undefined; limit: number },
) {
  let query = deadJobs(tx, filter).selectAll("j");
  if (filter.ids) query = query.where("j.id", "in", filter.ids.length > 0 ? filter.ids : [NO_ID]);
  return query
    .orderBy("d.diedAt")
    .orderBy("d.jobId")
    .limit(filter.limit)
    .forUpdate("j")
    .skipLocked()
    .execute();
}

const NO_ID = "00000000-0000-0000-0000-000000000000";

/** Marks dead (or cancelled) jobs as requeued. */
export async function markJobsRequeued(tx: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .updateTable("jobs")
    .set({ requeuedAt: sql<Date>`now()`, updatedAt: sql<Date>`now()` })
    .where("id", "in", ids)
    .execute();
  await tx
    .updateTable("deadLetters")
    .set({ requeuedAt: sql<Date>`now()` })
    .where("jobId", "in", ids)
    .execute();
}

/** Deletes dead jobs that died before `before` (optionally of one kind); returns their ids and queues. */
export async function deleteDeadJobs(
  tx: Db,
  filter: { before: Date; kind?: string | undefined },
): Promise<{ id: string; queue: string }[]> {
  let dead = tx.selectFrom("deadLetters").select("jobId").where("diedAt", "<", filter.before);
  if (filter.kind) dead = dead.where("kind", "=", filter.kind);
  return tx
    .deleteFrom("jobs")
    .where("status", "=", "dead")
    .where("id", "in", dead)
    .returning(["id", "queue"])
    .execute();
}

/** Dead jobs that died at or after `since`. */
export async function countDeadJobsSince(db: Db, since: Date): Promise<number> {
  const row = await db
    .selectFrom("deadLetters")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("diedAt", ">=", since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Claims the alert for a window: true for the one process that gets to send it. */
export async function claimDeadLetterAlert(db: Db, windowStart: Date, deadCount: number): Promise<boolean> {
  const row = await db
    .insertInto("deadLetterAlerts")
    .values({ windowStart, deadCount })
    .onConflict((oc) => oc.column("windowStart").doNothing())
    .returning("windowStart")
    .executeTakeFirst();
  return row !== undefined;
}
