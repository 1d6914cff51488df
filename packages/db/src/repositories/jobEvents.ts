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
 * Records events in one statement and announces them at commit. Call it in the transaction that
 * changed the jobs' rows, after the change: the row lock then orders writers of one job, so for any
 * job ids grow in commit order, and a reader that has seen event n of a job has seen every earlier one.
 */
export async function insertJobEvents(tx: Db, events: NewJobEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await sql`
    insert into job_events (job_id, tenant_id, type, data)
    select * from unnest(${events.map((e) => e.jobId)}::uuid[], ${events.map((e) => e.tenantId)}::uuid[],
      ${events.map((e) => e.type)}::text[], ${events.map((e) => JSON.stringify(e.data ?? {}))}::jsonb[])`.execute(
    tx,
  );
  await sql`select pg_notify(${JOB_EVENTS_CHANNEL}, '')`.execute(tx);
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

/**
 * Events of several jobs, each after its own last seen id, oldest first. The columns are named as
 * `JobEvent` names them and the rows taken as they come, without the camel-case plugin's copy of
 * each row: a fan-out reads a thousand at a time, and that copy was a quarter of the read.
 */
export async function listEventsOfJobs(
  db: Db,
  after: { jobId: string; afterId: number }[],
  limit = 5000,
): Promise<JobEvent[]> {
  if (after.length === 0) return [];
  const { rows } = await sql<JobEvent>`
    select e.id, e.job_id as "jobId", e.tenant_id as "tenantId", e.type, e.data, e.created_at as "createdAt"
    from unnest(${after.map((a) => a.jobId)}::uuid[], ${after.map((a) => a.afterId)}::bigint[]) as s(job_id, after_id)
    join lateral (
      select * from job_events e where e.job_id = s.job_id and e.id > s.after_id order by e.id limit ${limit}
    ) e on true
    order by e.id
    limit ${limit}`.execute(db.withoutPlugins());
  return rows;
}

/** Deletes events older than `before`; returns how many. */
export async function deleteJobEventsBefore(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom("jobEvents").where("createdAt", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
