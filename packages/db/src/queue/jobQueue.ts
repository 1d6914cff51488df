import { createRequire } from "node:module";
import { sql } from "kysely";
import { PgBoss } from "pg-boss";
import type { Db } from "../createDb.ts";
import { bossDatabase } from "./bossDatabase.ts";

/** The Postgres schema pg-boss owns, apart from Sluice's tables. */
export const BOSS_SCHEMA = "pgboss";

/** Channel on which enqueues wake workers (payload: the queue name). */
export const JOBS_CHANNEL = "sluice_jobs";

/** A queue as pg-boss keeps it: retries, backoff, hard time limit and its dead-letter queue. */
export interface QueueDefinition {
  name: string;
  deadLetter: string;
  /** Retries after the first attempt. */
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  retryDelayMaxSeconds: number;
  /** Hard time limit of an attempt: after it pg-boss fails the attempt (and retries it). */
  expireInSeconds: number;
}

/** A job handed to a worker: one attempt of it. */
export interface FetchedJob {
  id: string;
  queue: string;
  data: unknown;
  /** Retries before this attempt (0 on the first). */
  retryCount: number;
}

/** One attempt of a job, as pg-boss settles it (a late settle of a superseded attempt does nothing). */
export interface JobAttempt {
  id: string;
  retryCount: number;
}

/** A job to put on a queue, inside the caller's transaction. */
export interface QueueInsert {
  id: string;
  data: object;
  priority: number;
  startAfter?: Date | undefined;
}

/** Options of {@link startJobQueue}. */
export interface JobQueueOptions {
  connectionString: string;
  /** Pool size of pg-boss's own connections (default 10). */
  max?: number;
  /** Worker processes supervise (expire stalled attempts, maintenance); API processes need not. */
  supervise?: boolean;
  /** How often expired attempts are looked for (seconds, default 60). */
  superviseIntervalSeconds?: number;
  applicationName?: string;
  /**
   * `false` lets pg-boss's commits (fetches) return before the WAL is flushed. A Postgres crash may
   * then forget the last moments of fetches and completions: those jobs run again, never get lost.
   */
  synchronousCommit?: boolean;
  onError?: (error: Error) => void;
  /**
   * How long pg-boss keeps its copies of finished jobs (each queue's `deleteAfterSeconds`, set by
   * `ensureQueues`; default pg-boss's 7 days). A supervising process then sweeps them every quarter
   * of that, at most daily (pg-boss's default sweep is daily).
   */
  finishedRetentionSeconds?: number;
}

/** Where pg-boss holds a job: waiting, between attempts, running, or settled. */
export type QueueJobState = "created" | "retry" | "active" | "completed" | "cancelled" | "failed";

/** Sluice's narrow view of pg-boss (which stays hidden): every write can join a caller's transaction. */
export interface JobQueue {
  /** Creates (or updates) queues and their dead-letter queues. */
  ensureQueues(definitions: QueueDefinition[]): Promise<void>;
  insert(tx: Db, queue: string, jobs: QueueInsert[]): Promise<void>;
  /** Up to `batchSize` jobs ready to run, highest priority first. */
  fetch(queue: string, batchSize: number): Promise<FetchedJob[]>;
  /** Like `fetch`, inside the caller's transaction: the jobs are handed out only if it commits. */
  fetchIn(tx: Db, queue: string, batchSize: number): Promise<FetchedJob[]>;
  complete(tx: Db, queue: string, attempts: JobAttempt[]): Promise<void>;
  /**
   * Fails an attempt. pg-boss retries it with backoff while retries remain; `final` skips the rest
   * (non-retriable errors), `refund` gives the attempt back (a worker shutting down). Tells whether
   * the job will run again and when.
   */
  fail(
    tx: Db,
    queue: string,
    attempt: JobAttempt,
    output: object,
    options?: { final?: boolean; refund?: boolean },
  ): Promise<{ retry: boolean; runAt: Date | null }>;
  cancel(tx: Db, queue: string, id: string): Promise<void>;
  /** Removes the dead-letter copy of a job (after a requeue or a purge). */
  deleteDeadLetterCopies(tx: Db, deadLetterQueue: string, sourceIds: string[]): Promise<void>;
  /** The state pg-boss holds a job in; null when the queue has no such job (any more). */
  jobState(queue: string, id: string): Promise<QueueJobState | null>;
  /** Ids of the jobs whose dead-letter copies wait on `deadLetterQueue`, oldest first. */
  deadLetterSourceIds(deadLetterQueue: string): Promise<string[]>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

// Serialises concurrent installs (two `sluice migrate` at once) on one session lock.
const INSTALL_LOCK = 7_212_514_010;

/** Installs or upgrades pg-boss's schema (what `sluice migrate` does besides Sluice's migrations). */
export async function installQueueSchema(db: Db): Promise<void> {
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${INSTALL_LOCK})`.execute(connection);
    try {
      await installWith(connection);
    } finally {
      await sql`select pg_advisory_unlock(${INSTALL_LOCK})`.execute(connection);
    }
  });
}

async function installWith(db: Db): Promise<void> {
  const boss = new PgBoss({
    db: bossDatabase(db),
    schema: BOSS_SCHEMA,
    supervise: false,
    schedule: false,
    migrate: true,
    registerInstance: false,
    application_name: "sluice-migrate",
  });
  boss.on("error", () => {});
  await boss.start();
  await boss.stop({ graceful: false, close: true });
}

/** The installed pg-boss package's version, digits only (part of test template names). */
export function queueSchemaVersion(): string {
  const require = createRequire(import.meta.url);
  const { version } = require("pg-boss/package.json") as { version: string };
  return version.replace(/\D/g, "");
}

/** Starts pg-boss on its own schema (never migrating it: `sluice migrate` does) and wraps it. */
export async function startJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: BOSS_SCHEMA,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "sluice",
    supervise: options.supervise ?? false,
    schedule: false,
    migrate: false,
    ...(options.synchronousCommit === false ? { options: "-c synchronous_commit=off" } : {}),
    ...(options.finishedRetentionSeconds
      ? {
          maintenanceIntervalSeconds: Math.min(
            86_400,
            Math.max(1, Math.round(options.finishedRetentionSeconds / 4)),
          ),
        }
      : {}),
    // Expired attempts are looked for in the monitor pass, claimed per queue once per monitor interval.
    ...(options.superviseIntervalSeconds
      ? {
          superviseIntervalSeconds: options.superviseIntervalSeconds,
          monitorIntervalSeconds: options.superviseIntervalSeconds,
        }
      : {}),
  });
  boss.on("error", options.onError ?? (() => {}));
  await boss.start();
  return wrapBoss(boss, options.finishedRetentionSeconds);
}

function wrapBoss(boss: PgBoss, finishedRetentionSeconds: number | undefined): JobQueue {
  return {
    async ensureQueues(definitions) {
      const existing = new Set((await boss.getQueues()).map((q) => q.name));
      for (const d of definitions) {
        if (!existing.has(d.deadLetter)) {
          await boss.createQueue(d.deadLetter, { retryLimit: 0, retentionSeconds: 14 * 86_400 });
        }
        const options = {
          deadLetter: d.deadLetter,
          retryLimit: d.retryLimit,
          retryDelay: d.retryDelaySeconds,
          retryBackoff: d.retryBackoff,
          ...(d.retryBackoff ? { retryDelayMax: d.retryDelayMaxSeconds } : {}),
          expireInSeconds: d.expireInSeconds,
          ...(finishedRetentionSeconds ? { deleteAfterSeconds: Math.round(finishedRetentionSeconds) } : {}),
        };
        if (existing.has(d.name)) await boss.updateQueue(d.name, options);
        else
          await boss.createQueue(d.name, options).catch(async (error: unknown) => {
            // Another process created it meanwhile.
            if (!(await boss.getQueue(d.name))) throw error;
          });
      }
    },
    async insert(tx, queue, jobs) {
      if (jobs.length === 0) return;
      await boss.insert(
        queue,
        jobs.map((j) => ({
          id: j.id,
          data: j.data,
          priority: j.priority,
          ...(j.startAfter ? { startAfter: j.startAfter } : {}),
        })),
        { db: bossDatabase(tx) },
      );
      await sql`select pg_notify(${JOBS_CHANNEL}, ${queue})`.execute(tx);
    },
    async fetch(queue, batchSize) {
      const jobs = await boss.fetch<unknown>(queue, { batchSize });
      return jobs.map((j) => ({ id: j.id, queue, data: j.data, retryCount: j.retryCount }));
    },
    async fetchIn(tx, queue, batchSize) {
      const jobs = await boss.fetch<unknown>(queue, { batchSize, db: bossDatabase(tx) });
      return jobs.map((j) => ({ id: j.id, queue, data: j.data, retryCount: j.retryCount }));
    },
    async complete(tx, queue, attempts) {
      if (attempts.length === 0) return;
      await boss.complete(queue, attempts, null, { db: bossDatabase(tx) });
    },
    async fail(tx, queue, attempt, output, options = {}) {
      // pg-boss decides retry-or-fail from the job's retry limit: moving the limit moves the decision.
      if (options.final) {
        await sql`update ${sql.table(`${BOSS_SCHEMA}.job`)} set retry_limit = retry_count
          where name = ${queue} and id = ${attempt.id}`.execute(tx);
      } else if (options.refund) {
        await sql`update ${sql.table(`${BOSS_SCHEMA}.job`)} set retry_limit = retry_limit + 1
          where name = ${queue} and id = ${attempt.id}`.execute(tx);
      }
      await boss.fail(queue, attempt, output, { db: bossDatabase(tx) });
      const { rows } = await sql<{ state: string; startAfter: Date }>`
        select state, start_after from ${sql.table(`${BOSS_SCHEMA}.job`)} where name = ${queue} and id = ${attempt.id}`.execute(
        tx,
      );
      const row = rows[0];
      return row?.state === "retry" ? { retry: true, runAt: row.startAfter } : { retry: false, runAt: null };
    },
    async cancel(tx, queue, id) {
      await boss.cancel(queue, id, { db: bossDatabase(tx) });
    },
    async deleteDeadLetterCopies(tx, deadLetterQueue, sourceIds) {
      if (sourceIds.length === 0) return;
      await sql`delete from ${sql.table(`${BOSS_SCHEMA}.job`)}
        where name = ${deadLetterQueue} and source_id = any(${sourceIds}::uuid[])`.execute(tx);
    },
    async jobState(queue, id) {
      const [job] = await boss.findJobs(queue, { id });
      return job?.state ?? null;
    },
    async deadLetterSourceIds(deadLetterQueue) {
      const copies = await boss.findJobs(deadLetterQueue);
      return copies.flatMap((c) => (c.sourceId ? [c.sourceId] : []));
    },
    stop: ({ graceful = true, timeoutMs = 10_000 } = {}) =>
      boss.stop({ graceful, timeout: timeoutMs, close: true }),
  };
}
