import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { JobEvent, JobEventType } from "../schema.ts";

/**
 * Channel on which committed job events are announced. A notification's payload is either a JSON
 * array of the events themselves (see {@link parseJobEventsNotification}), or empty: "events were
 * committed, read the table" (events too large to carry, and the statements that write events of
 * their own).
 */
export const JOB_EVENTS_CHANNEL = "sluice_job_events";

/**
 * Postgres refuses notification payloads of 8,000 bytes or more. Jobs are packed into a payload
 * until it holds about this many bytes; one whose events alone pass the limit is announced empty.
 */
const NOTIFICATION_BYTES = 6000;
const NOTIFICATION_LIMIT = 7999;

/** A job event to record. */
export interface NewJobEventInput {
  jobId: string;
  tenantId: string | null;
  type: JobEventType;
  data?: Record<string, unknown>;
}

/**
 * Records events in one statement and announces them at commit, carried in the notifications: a
 * listener hands them on without reading the table. Each job's events of the statement travel in
 * one notification, in id order. Call it in the transaction that changed the jobs' rows, after the
 * change: the row lock then orders writers of one job, so for any job ids grow in commit order, and
 * a reader that has seen event n of a job has seen every earlier one.
 */
export async function insertJobEvents(tx: Db, events: NewJobEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await sql`
    with inserted as (
      insert into job_events (job_id, tenant_id, type, data)
      select * from unnest(${events.map((e) => e.jobId)}::uuid[], ${events.map((e) => e.tenantId)}::uuid[],
        ${events.map((e) => e.type)}::text[], ${events.map((e) => JSON.stringify(e.data ?? {}))}::jsonb[])
      returning id, job_id, tenant_id, type, data, created_at
    ), per_job as (
      select job_id, string_agg(json_build_object('id', id, 'jobId', job_id, 'tenantId', tenant_id,
          'type', type, 'data', data, 'createdAt', floor(extract(epoch from created_at) * 1000))::text, ','
          order by id) as events
      from inserted group by job_id
    ), packed as (
      -- Where each job's text starts in the statement's announcement, in bytes: its payload's number.
      select job_id, events, (sum(octet_length(events) + 1) over (order by job_id) - octet_length(events) - 1)
          / ${NOTIFICATION_BYTES} as n
      from per_job
    ), payloads as (
      select '[' || string_agg(events, ',' order by job_id) || ']' as payload from packed group by n
    )
    select pg_notify(${JOB_EVENTS_CHANNEL}, case when octet_length(payload) <= ${NOTIFICATION_LIMIT} then payload else '' end)
    from payloads`.execute(tx);
}

/**
 * The events a notification on {@link JOB_EVENTS_CHANNEL} carries, as {@link listEventsOfJobs}
 * reads them; undefined when it carries none (an empty payload) or is not such a payload: either
 * way the listener reads the table instead.
 */
export function parseJobEventsNotification(payload: string): JobEvent[] | undefined {
  if (payload === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  for (const e of parsed as Record<string, unknown>[]) {
    if (
      typeof e !== "object" ||
      e === null ||
      !Number.isSafeInteger(e.id) ||
      typeof e.jobId !== "string" ||
      (e.tenantId !== null && typeof e.tenantId !== "string") ||
      typeof e.type !== "string" ||
      typeof e.data !== "object" ||
      e.data === null ||
      !Number.isSafeInteger(e.createdAt)
    )
      return undefined;
    e.createdAt = new Date(e.createdAt as number);
  }
  return parsed as JobEvent[];
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

/**
 * Deletes events older than `before`, at most `limit` (default all) in one statement; returns how
 * many. The log has no primary-key index: rows are picked by their physical address.
 */
export async function deleteJobEventsBefore(db: Db, before: Date, limit?: number): Promise<number> {
  if (limit === undefined) {
    const result = await db.deleteFrom("jobEvents").where("createdAt", "<", before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
  const { rows } = await sql<{ n: number }>`
    with gone as (
      delete from job_events where ctid = any(array(
        select ctid from job_events where created_at < ${before} limit ${limit}))
      returning 1)
    select count(*)::int as n from gone`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
