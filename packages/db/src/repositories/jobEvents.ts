import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { JobEvent, JobEventType } from "../schema.ts";

/** Channel on which committed job events are announced (no payload: listeners read the table). */
export const JOB_EVENTS_CHANNEL = "sluice_job_events";

/** A job event to record. */
export interface NewJobEventInput {
  jobId: string;
  tenantId: string | null;
  type: JobEventType;
  data?: Record<string, unknown>;
}

/**
 * Records events in one statement and announces them. Each job's events are written under a
 * per-job transaction lock, so for any one job ids grow in commit order: a reader that has seen
 * event n of a job has seen every earlier one. Call inside a transaction.
 */
export async function insertJobEvents(tx: Db, events: NewJobEventInput[]): Promise<JobEvent[]> {
  if (events.length === 0) return [];
  const jobIds = [...new Set(events.map((e) => e.jobId))].sort();
  await sql`select pg_advisory_xact_lock(hashtextextended(id, 7)) from unnest(${jobIds}::text[]) as id order by id`.execute(
    tx,
  );
  const rows = await tx
    .insertInto("jobEvents")
    .values(
      events.map((e) => ({
        jobId: e.jobId,
        tenantId: e.tenantId,
        type: e.type,
        data: JSON.stringify(e.data ?? {}),
      })),
    )
    .returningAll()
    .execute();
  await sql`select pg_notify(${JOB_EVENTS_CHANNEL}, '')`.execute(tx);
  return rows;
}

/** A job's events after `afterId`, oldest first. */
export async function listJobEvents(
  db: Db,
  jobId: string,
  afterId: number,
  limit = 1000,
): Promise<JobEvent[]> {
  return db
    .selectFrom("jobEvents")
    .selectAll()
    .where("jobId", "=", jobId)
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(limit)
    .execute();
}

/** Events of several jobs, each after its own last seen id, oldest first. */
export async function listEventsOfJobs(
  db: Db,
  after: { jobId: string; afterId: number }[],
  limit = 5000,
): Promise<JobEvent[]> {
  if (after.length === 0) return [];
  const { rows } = await sql<JobEvent>`
    select e.* from unnest(${after.map((a) => a.jobId)}::uuid[], ${after.map((a) => a.afterId)}::bigint[]) as s(job_id, after_id)
    join lateral (
      select * from job_events e where e.job_id = s.job_id and e.id > s.after_id order by e.id limit ${limit}
    ) e on true
    order by e.id
    limit ${limit}`.execute(db);
  return rows;
}

/** Deletes events older than `before`; returns how many. */
export async function deleteJobEventsBefore(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom("jobEvents").where("createdAt", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
