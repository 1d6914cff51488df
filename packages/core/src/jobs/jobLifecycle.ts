import {
  completeJobAttempts,
  type Db,
  type FetchedJob,
  failJobAttempt,
  insertJobEvents,
  type Job,
  type JobQueue,
  releaseJobAttempt,
  startJobAttempts,
  updateJobProgress,
} from "@sluice/db";
import { isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import type { JobCatalog } from "./jobCatalog.ts";
import { enqueueJobWebhooks } from "./jobWebhooks.ts";
import { createWriteBatcher } from "./writeBatcher.ts";

/** One attempt of a job, as a worker holds it. */
export interface RunningAttempt {
  /** The job as it was when this attempt started. */
  job: Job;
  /** 1 for the first attempt. */
  attempt: number;
  retryCount: number;
}

/** How an attempt ended, as far as the job's record goes. */
export type AttemptEnd =
  | { kind: "completed"; result: unknown }
  | { kind: "failed"; error: SluiceError }
  /** The job was cancelled while it ran: nothing to write. */
  | { kind: "cancelled" }
  /** The worker is stopping: the attempt goes back to the queue, not counted against the job. */
  | { kind: "released" };

/** Writes every transition of a job's life: the mirror, its events, pg-boss, webhooks. */
export interface JobLifecycle {
  /** Marks fetched jobs active; returns the attempts to run (jobs cancelled meanwhile are dropped). */
  start(fetched: FetchedJob[]): Promise<RunningAttempt[]>;
  /** Records how an attempt ended; resolves when it is written. */
  finish(attempt: RunningAttempt, end: AttemptEnd): Promise<void>;
  /** Records progress (0–100) with an optional message; resolves when it is written. */
  progress(attempt: RunningAttempt, percent: number, message?: string): Promise<void>;
  /** Writes everything waiting. */
  flush(): Promise<void>;
}

/** Whether an error may succeed on another attempt: only SluiceErrors that say so. */
export function failureOf(error: unknown): SluiceError {
  if (isSluiceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SluiceError("internal_error", `the job failed: ${message}`, { cause: error, retriable: false });
}

/** Creates the lifecycle writer; completions and progress are written in batches. */
export function createJobLifecycle(deps: {
  db: Db;
  queue: JobQueue;
  catalog: JobCatalog;
  /** Told about every job that died (dead-letter alerts). */
  onDead?: (job: Job) => void;
  batch?: { maxItems?: number; maxWaitMs?: number };
}): JobLifecycle {
  const { db, queue, catalog } = deps;
  const batch = { maxItems: deps.batch?.maxItems ?? 500, maxWaitMs: deps.batch?.maxWaitMs ?? 5 };

  const completions = createWriteBatcher<{ attempt: RunningAttempt; result: unknown }>(
    (items) =>
      db.transaction().execute(async (tx) => {
        const done = await completeJobAttempts(
          tx,
          items.map((i) => ({ id: i.attempt.job.id, attempt: i.attempt.attempt, result: i.result })),
        );
        await insertJobEvents(
          tx,
          done.map((j) => ({
            jobId: j.id,
            tenantId: j.tenantId,
            type: "completed" as const,
            data: { attempt: j.attempts },
          })),
        );
        const byQueue = new Map<string, { id: string; retryCount: number }[]>();
        for (const { attempt } of items) {
          const list = byQueue.get(attempt.job.queue) ?? [];
          list.push({ id: attempt.job.id, retryCount: attempt.retryCount });
          byQueue.set(attempt.job.queue, list);
        }
        for (const [name, attempts] of byQueue) await queue.complete(tx, name, attempts);
        await enqueueJobWebhooks(tx, queue, catalog, done);
      }),
    batch,
  );

  const progressWrites = createWriteBatcher<{
    attempt: RunningAttempt;
    percent: number;
    message: string | null;
  }>(
    (items) =>
      db.transaction().execute(async (tx) => {
        const latest = new Map<string, (typeof items)[number]>();
        for (const item of items) latest.set(item.attempt.job.id, item);
        await updateJobProgress(
          tx,
          [...latest.values()].map((i) => ({
            id: i.attempt.job.id,
            attempt: i.attempt.attempt,
            progress: i.percent,
            message: i.message,
          })),
        );
        await insertJobEvents(
          tx,
          items.map((i) => ({
            jobId: i.attempt.job.id,
            tenantId: i.attempt.job.tenantId,
            type: "progress" as const,
            data: { progress: i.percent, ...(i.message === null ? {} : { message: i.message }) },
          })),
        );
      }),
    { maxItems: batch.maxItems, maxWaitMs: Math.max(batch.maxWaitMs, 10) },
  );

  async function fail(running: RunningAttempt, error: SluiceError): Promise<void> {
    const job = running.job;
    const dead = await db.transaction().execute(async (tx) => {
      const outcome = await queue.fail(
        tx,
        job.queue,
        { id: job.id, retryCount: running.retryCount },
        { code: error.code, message: error.message },
        { final: !error.retriable },
      );
      const row = await failJobAttempt(tx, {
        id: job.id,
        attempt: running.attempt,
        code: error.code,
        message: error.message,
        nextRunAt: outcome.retry ? outcome.runAt : null,
      });
      if (!row) return undefined;
      await insertJobEvents(tx, [
        {
          jobId: job.id,
          tenantId: job.tenantId,
          type: row.status === "dead" ? "dead" : "failed",
          data: {
            attempt: running.attempt,
            code: error.code,
            message: error.message,
            ...(outcome.runAt ? { nextRunAt: outcome.runAt.toISOString() } : {}),
          },
        },
      ]);
      if (row.status !== "dead") return undefined;
      await enqueueJobWebhooks(tx, queue, catalog, [row]);
      return row;
    });
    if (dead) deps.onDead?.(dead);
  }

  async function release(running: RunningAttempt): Promise<void> {
    const job = running.job;
    await db.transaction().execute(async (tx) => {
      const outcome = await queue.fail(
        tx,
        job.queue,
        { id: job.id, retryCount: running.retryCount },
        { code: "service_unavailable", message: "the worker stopped" },
        { refund: true },
      );
      const row = await releaseJobAttempt(tx, { id: job.id, attempt: running.attempt });
      if (!row) return;
      await insertJobEvents(tx, [
        {
          jobId: job.id,
          tenantId: job.tenantId,
          type: "failed",
          data: {
            attempt: running.attempt,
            code: "service_unavailable",
            message: "the worker stopped; the job was given back to the queue",
            ...(outcome.runAt ? { nextRunAt: outcome.runAt.toISOString() } : {}),
          },
        },
      ]);
    });
  }

  return {
    async start(fetched) {
      if (fetched.length === 0) return [];
      return db.transaction().execute(async (tx) => {
        const rows = await startJobAttempts(
          tx,
          fetched.map((f) => ({ id: f.id, attempt: f.retryCount + 1 })),
        );
        const started = new Map(rows.map((r) => [r.id, r]));
        // pg-boss handed out jobs the mirror no longer wants (cancelled meanwhile, or purged).
        const unwanted = fetched.filter((f) => !started.has(f.id));
        for (const f of unwanted) await queue.cancel(tx, f.queue, f.id);
        await insertJobEvents(
          tx,
          rows.map((j) => ({
            jobId: j.id,
            tenantId: j.tenantId,
            type: "started" as const,
            data: { attempt: j.attempts },
          })),
        );
        return fetched
          .filter((f) => started.has(f.id))
          .map((f) => ({ job: started.get(f.id)!, attempt: f.retryCount + 1, retryCount: f.retryCount }));
      });
    },
    async finish(attempt, end) {
      // A job's progress events are written before the event that ends its attempt.
      if (progressWrites.pending > 0) await progressWrites.flush();
      switch (end.kind) {
        case "completed":
          return completions.add({ attempt, result: end.result });
        case "failed":
          return fail(attempt, end.error);
        case "released":
          return release(attempt);
        case "cancelled":
          return Promise.resolve();
      }
    },
    progress(attempt, percent, message) {
      const clamped = Math.max(0, Math.min(100, Math.round(percent)));
      return progressWrites.add({ attempt, percent: clamped, message: message?.slice(0, 500) ?? null });
    },
    async flush() {
      await Promise.all([completions.flush(), progressWrites.flush()]);
    },
  };
}
