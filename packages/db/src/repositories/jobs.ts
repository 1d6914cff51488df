import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { Job, JobStatus, NewJob } from "../schema.ts";
import { JOB_EVENTS_CHANNEL } from "./jobEvents.ts";
import { pageOf } from "./paging.ts";

/** Filters and paging of a job listing, newest first. */
export interface JobListOptions {
  limit: number;
  kind?: string | undefined;
  status?: JobStatus | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | undefined;
}

/** A page of jobs and the cursor of the next one (null at the end). */
export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Encodes the position after `job` in a listing. */
export function encodeJobCursor(job: Pick<Job, "id">): string {
  return Buffer.from(`j:${job.id}`).toString("base64url");
}

/** The job id a cursor names, or undefined when it is not a job cursor. */
export function decodeJobCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const id = text.startsWith("j:") ? text.slice(2) : "";
  return UUID.test(id) ? id : undefined;
}

/**
 * Inserts jobs; one whose (tenant, idempotency key) already exists is skipped. Returns the rows
 * inserted, in input order of those that were.
 */
export async function insertJobs(tx: Db, jobs: NewJob[]): Promise<Job[]> {
  if (jobs.length === 0) return [];
  return tx
    .insertInto("jobs")
    .values(jobs)
    .onConflict((oc) =>
      oc.columns(["tenantId", "idempotencyKey"]).where("idempotencyKey", "is not", null).doNothing(),
    )
    .returningAll()
    .execute();
}

/** Existing jobs of a tenant by idempotency key. */
export async function findJobsByIdempotencyKey(
  db: Db,
  tenantId: string | null,
  keys: string[],
): Promise<Job[]> {
  if (keys.length === 0) return [];
  let query = db.selectFrom("jobs").selectAll().where("idempotencyKey", "in", keys);
  query = tenantId === null ? query.where("tenantId", "is", null) : query.where("tenantId", "=", tenantId);
  return query.execute();
}

/** A job by id; with a tenant, only that tenant's (another tenant's id finds nothing). */
export async function findJob(db: Db, id: string, tenantId?: string): Promise<Job | undefined> {
  let query = db.selectFrom("jobs").selectAll().where("id", "=", id);
  if (tenantId !== undefined) query = query.where("tenantId", "=", tenantId);
  return query.executeTakeFirst();
}

/** A page of a tenant's jobs (or every tenant's when `tenantId` is undefined), newest first. */
export async function listJobs(
  db: Db,
  tenantId: string | undefined,
  options: JobListOptions,
): Promise<JobPage> {
  let query = db.selectFrom("jobs").selectAll();
  if (tenantId !== undefined) query = query.where("tenantId", "=", tenantId);
  if (options.kind) query = query.where("kind", "=", options.kind);
  if (options.status) query = query.where("status", "=", options.status);
  if (options.createdAfter) query = query.where("createdAt", ">=", options.createdAfter);
  if (options.createdBefore) query = query.where("createdAt", "<", options.createdBefore);
  const after = options.cursor ? decodeJobCursor(options.cursor) : undefined;
  if (after) {
    // The cursor's job must be one of the listing's own: another tenant's positions nothing (and so
    // reveals neither that it exists nor when it was made).
    const tenant = tenantId === undefined ? sql`` : sql` and c.tenant_id = ${tenantId}`;
    query = query.where(
      sql<boolean>`(created_at, id) < (select c.created_at, c.id from jobs c where c.id = ${after}${tenant})`,
    );
  }
  const rows = await query
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc")
    .limit(options.limit + 1)
    .execute();
  return pageOf(rows, options.limit, encodeJobCursor);
}

/** An attempt of a job, as a worker holds it. */
export interface JobAttemptRef {
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** An attempt's start as a worker saw it. */
export interface JobStart extends JobAttemptRef {
  /** When the handler started (the worker's clock). */
  startedAt: Date;
}

/**
 * Marks jobs active for an attempt and records their `started` events in the order given, in one
 * statement (jobs cancelled meanwhile stay cancelled). Returns the ids of the jobs that started.
 */
export async function startJobAttempts(db: Db, starts: JobStart[]): Promise<string[]> {
  if (starts.length === 0) return [];
  // `j.id = any(ids)` beside the join makes the planner look the rows up by primary key; joined to
  // the unnest alone it may hash the whole table instead (it does when statistics are missing).
  const { rows } = await sql<{ id: string }>`
    with s as (
      select * from unnest(${starts.map((a) => a.id)}::uuid[], ${starts.map((a) => a.attempt)}::int[],
        ${starts.map((a) => a.startedAt.getTime())}::float8[]) with ordinality as s(id, attempt, started_ms, n)
    ), started as (
      update jobs j set status = 'active', attempts = s.attempt,
        started_at = coalesce(j.started_at, to_timestamp(s.started_ms / 1000)),
        progress_message = null, updated_at = now()
      from s
      where j.id = any(${starts.map((a) => a.id)}::uuid[]) and j.id = s.id and j.status in ('queued', 'active', 'failed')
      returning j.id, j.tenant_id, j.attempts, s.n
    ), events as (
      insert into job_events (job_id, tenant_id, type, data)
      select id, tenant_id, 'started', jsonb_build_object('attempt', attempts) from started order by n
    )
    select started.id from started, (select pg_notify(${JOB_EVENTS_CHANNEL}, '')) as announce`.execute(db);
  return rows.map((r) => r.id);
}

/** A finished attempt's result. */
export interface JobCompletion extends JobAttemptRef {
  result: unknown;
  /** When the handler ended (the worker's clock). */
  finishedAt: Date;
  /** The attempt's start was not written yet: record it too (a job that ran within one batch). */
  startedAt?: Date | undefined;
}

/** What is returned of a finished job: enough to announce it. */
export type FinishedJob = Pick<Job, "id" | "tenantId" | "kind" | "status" | "webhookUrl" | "attempts"> & {
  /** The tenant's webhook endpoint, when it has one. */
  tenantWebhookUrl?: string | null;
};

/**
 * Completes attempts with their results and records their events in the order given, in one
 * statement: an attempt already marked started must still be the active one; one whose start is
 * recorded here (`startedAt`) gets its `started` event first. Superseded or cancelled attempts
 * change nothing. Returns the jobs completed that have a webhook to announce them to (their own or
 * their tenant's); most have none, and a batch's rows are not sent back for nothing.
 */
export async function completeJobAttempts(tx: Db, completions: JobCompletion[]): Promise<FinishedJob[]> {
  if (completions.length === 0) return [];
  // `j.id = any(ids)`: rows by primary key, as in startJobAttempts.
  const { rows } = await sql<FinishedJob>`
    with c as (
      select * from unnest(${completions.map((c) => c.id)}::uuid[], ${completions.map((c) => c.attempt)}::int[],
        ${completions.map((c) => JSON.stringify(c.result ?? null))}::jsonb[],
        ${completions.map((c) => c.finishedAt.getTime())}::float8[],
        ${completions.map((c) => c.startedAt?.getTime() ?? null)}::float8[])
        with ordinality as c(id, attempt, result, finished_ms, started_ms, n)
    ), done as (
      update jobs j set status = 'completed', progress = 100, result = c.result, error_code = null,
        error_message = null, attempts = c.attempt,
        started_at = coalesce(j.started_at, to_timestamp(c.started_ms / 1000)),
        finished_at = to_timestamp(c.finished_ms / 1000), updated_at = now()
      from c
      where j.id = any(${completions.map((c) => c.id)}::uuid[]) and j.id = c.id and (
        (c.started_ms is not null and j.status in ('queued', 'active', 'failed'))
        or (j.status = 'active' and j.attempts = c.attempt))
      returning j.id, j.tenant_id, j.kind, j.status, j.webhook_url, j.attempts, c.started_ms is not null as also_started, c.n
    ), events as (
      insert into job_events (job_id, tenant_id, type, data)
      select id, tenant_id, type, jsonb_build_object('attempt', attempts) from (
        select id, tenant_id, attempts, 'started' as type, n, 1 as step from done where also_started
        union all
        select id, tenant_id, attempts, 'completed', n, 2 from done
      ) e order by step, n
    )
    select done.id, done.tenant_id, done.kind, done.status, done.webhook_url, done.attempts,
      t.webhook_url as tenant_webhook_url
    from done left join tenants t on t.id = done.tenant_id
    where done.kind <> 'webhook.deliver' and (done.webhook_url is not null or t.webhook_url is not null)
    -- A row of its own, so the notification is sent whatever the rows above (its id is null).
    union all
    select null, null, null, null, null, null, null from (select pg_notify(${JOB_EVENTS_CHANNEL}, '')) as announce`.execute(
    tx,
  );
  return rows.filter((r) => r.id !== null);
}

/** Records a failed attempt: `failed` with the time of the next one, or `dead` when none is left. */
export async function failJobAttempt(
  tx: Db,
  input: JobAttemptRef & { code: string; message: string; nextRunAt: Date | null },
): Promise<Job | undefined> {
  const row = await tx
    .updateTable("jobs")
    .set({
      status: input.nextRunAt ? "failed" : "dead",
      errorCode: input.code,
      errorMessage: input.message.slice(0, 2000),
      ...(input.nextRunAt ? { runAt: input.nextRunAt } : { finishedAt: sql<Date>`now()` }),
      updatedAt: sql<Date>`now()`,
    })
    .where("id", "=", input.id)
    .where("status", "=", "active")
    .where("attempts", "=", input.attempt)
    .returningAll()
    .executeTakeFirst();
  if (row?.status === "dead") {
    await tx
      .insertInto("deadLetters")
      .values({ jobId: row.id, kind: row.kind, errorCode: input.code })
      .onConflict((oc) =>
        oc.column("jobId").doUpdateSet({ errorCode: input.code, diedAt: sql<Date>`now()`, requeuedAt: null }),
      )
      .execute();
  }
  return row;
}

/** Gives an attempt back (worker shutdown): the job waits in the queue again with one attempt more allowed. */
export async function releaseJobAttempt(tx: Db, ref: JobAttemptRef): Promise<Job | undefined> {
  return tx
    .updateTable("jobs")
    .set((eb) => ({ status: "queued", maxAttempts: eb("maxAttempts", "+", 1), updatedAt: sql<Date>`now()` }))
    .where("id", "=", ref.id)
    .where("status", "=", "active")
    .where("attempts", "=", ref.attempt)
    .returningAll()
    .executeTakeFirst();
}

/** Cancels a job that has not finished; returns it, or undefined when it had (or is not the tenant's). */
export async function cancelJobRow(tx: Db, id: string, tenantId?: string): Promise<Job | undefined> {
  let query = tx
    .updateTable("jobs")
    .set({ status: "cancelled", finishedAt: sql<Date>`now()`, updatedAt: sql<Date>`now()` })
    .where("id", "=", id)
    .where("status", "in", ["queued", "active", "failed"]);
  if (tenantId !== undefined) query = query.where("tenantId", "=", tenantId);
  return query.returningAll().executeTakeFirst();
}

/** Records progress (the latest wins). */
export async function updateJobProgress(
  tx: Db,
  updates: { id: string; attempt: number; progress: number; message: string | null }[],
): Promise<void> {
  if (updates.length === 0) return;
  // `j.id = any(ids)`: rows by primary key, as in startJobAttempts.
  await sql`
    update jobs j set progress = u.progress, progress_message = u.message, updated_at = now()
    from unnest(${updates.map((u) => u.id)}::uuid[], ${updates.map((u) => u.attempt)}::int[],
      ${updates.map((u) => u.progress)}::int[], ${updates.map((u) => u.message)}::text[]) as u(id, attempt, progress, message)
    where j.id = any(${updates.map((u) => u.id)}::uuid[]) and j.id = u.id and j.status = 'active' and j.attempts = u.attempt`.execute(
    tx,
  );
}

/** Ids among `ids` whose job is no longer wanted (cancelled, or gone). */
export async function findCancelledJobIds(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db.selectFrom("jobs").select(["id", "status"]).where("id", "in", ids).execute();
  const live = new Set(found.filter((j) => j.status !== "cancelled").map((j) => j.id));
  return ids.filter((id) => !live.has(id));
}

/** Counts of jobs by kind and status (for metrics). */
export async function countJobsByStatus(
  db: Db,
): Promise<{ kind: string; status: JobStatus; count: number }[]> {
  const rows = await db
    .selectFrom("jobs")
    .select(["kind", "status", (eb) => eb.fn.countAll<number>().as("count")])
    .groupBy(["kind", "status"])
    .execute();
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

/** Channel on which cancellations reach workers (payload: the job id). */
export const JOB_CANCEL_CHANNEL = "sluice_job_cancel";

/** Tells workers to stop a running job, when the transaction commits. */
export async function notifyJobCancel(tx: Db, jobId: string): Promise<void> {
  await sql`select pg_notify(${JOB_CANCEL_CHANNEL}, ${jobId})`.execute(tx);
}

/** A job locked for the caller's transaction; with a tenant, only that tenant's. */
export async function lockJob(tx: Db, id: string, tenantId?: string): Promise<Job | undefined> {
  let query = tx.selectFrom("jobs").selectAll().where("id", "=", id);
  if (tenantId !== undefined) query = query.where("tenantId", "=", tenantId);
  return query.forUpdate().executeTakeFirst();
}
