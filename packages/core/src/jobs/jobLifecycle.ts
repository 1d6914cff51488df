import {
  completeJobAttempts,
  type Db,
  type FetchedJob,
  failJobAttempt,
  insertJobEvents,
  isDatabaseUnavailable,
  type Job,
  type JobQueue,
  releaseJobAttempt,
  startJobAttempts,
  updateJobProgress,
} from "@sluice/db";
import { isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import type { Clock } from "../limits/clock.ts";
import type { JobCatalog } from "./jobCatalog.ts";
import { enqueueJobWebhooks } from "./jobWebhooks.ts";
import { createWriteBatcher } from "./writeBatcher.ts";

/** What a worker knows of a job when it hands it out (carried in the queue's copy of the job). */
export interface AttemptJob {
  id: string;
  queue: string;
  kind: string;
  tenantId: string | null;
  payload: unknown;
}

/** One attempt of a job, as a worker holds it. */
export interface RunningAttempt {
  job: AttemptJob;
  /** 1 for the first attempt. */
  attempt: number;
  retryCount: number;
  /** When the worker handed it to its handler. */
  startedAt: Date;
  /** Its `started` mark could not be written (database unreachable): its end writes it too. */
  startUnwritten?: boolean;
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
  /** The attempts to run for fetched jobs; their `started` marks are written in the next batch. */
  start(fetched: FetchedJob[]): RunningAttempt[];
  /** Records how an attempt ended; resolves when it is written. */
  finish(attempt: RunningAttempt, end: AttemptEnd): Promise<void>;
  /** Records progress (0–100) with an optional message; resolves when it is written. */
  progress(attempt: RunningAttempt, percent: number, message?: string): Promise<void>;
  /** Writes everything waiting. */
  flush(): Promise<void>;
  /** Transitions recorded but not yet written. */
  readonly unwritten: number;
  /** Resolves once at most `n` transitions are unwritten. */
  whenUnwrittenAtMost(n: number): Promise<void>;
}

/**
 * The failure an error stands for. SluiceErrors say whether another attempt may succeed; a database
 * that went away mid-attempt (a restart) is worth another attempt; anything else is a bug, not retried.
 */
export function failureOf(error: unknown): SluiceError {
  if (isSluiceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isDatabaseUnavailable(error)) {
    return new SluiceError("service_unavailable", `the database was unreachable: ${message}`, {
      cause: error,
    });
  }
  return new SluiceError("internal_error", `the job failed: ${message}`, { cause: error, retriable: false });
}

/** The job a fetched queue entry stands for (the queue's copy carries kind, tenant and payload). */
function attemptOf(fetched: FetchedJob): RunningAttempt {
  const data = (fetched.data ?? {}) as { kind?: string; tenantId?: string | null; payload?: unknown };
  return {
    job: {
      id: fetched.id,
      queue: fetched.queue,
      kind: data.kind ?? fetched.queue,
      tenantId: data.tenantId ?? null,
      payload: data.payload,
    },
    attempt: fetched.retryCount + 1,
    retryCount: fetched.retryCount,
    startedAt: new Date(),
  };
}

type Transition =
  | { type: "start"; attempt: RunningAttempt }
  | { type: "progress"; attempt: RunningAttempt; percent: number; message: string | null }
  | { type: "complete"; attempt: RunningAttempt; result: unknown; finishedAt: Date };

/**
 * Creates the lifecycle writer. Starts, progress and completions go through one batcher, written
 * in one transaction per batch in that order, so a job that ends within a batch window costs one
 * round of statements with the others. Batches of different jobs are written concurrently; a batch
 * with a job that an unfinished batch also holds waits for it, so a job's writes and events keep
 * their order, and batches written at once never update the same rows (no deadlock between them).
 * Failures and releases are rare and written on their own, after whatever was batched before them.
 */
export function createJobLifecycle(deps: {
  db: Db;
  queue: JobQueue;
  catalog: JobCatalog;
  /** Told about every job that died (dead-letter alerts). */
  onDead?: (job: Job) => void;
  /** `parallel`: batches written at once (default 2); a job's own writes still commit in order. */
  batch?: { maxItems?: number; maxWaitMs?: number; parallel?: number };
  /** Times the batch window (default the wall clock). */
  clock?: Clock;
}): JobLifecycle {
  const { db, queue, catalog } = deps;
  const batch = {
    maxItems: deps.batch?.maxItems ?? 1000,
    maxWaitMs: deps.batch?.maxWaitMs ?? 10,
    parallel: deps.batch?.parallel ?? 2,
    keyOf: (t: Transition) => t.attempt.job.id,
    ...(deps.clock ? { clock: deps.clock } : {}),
  };

  const transitions = createWriteBatcher<Transition>(
    (items) =>
      db.transaction().execute(async (tx) => {
        const starts = new Map<RunningAttempt, boolean>();
        const progress: Extract<Transition, { type: "progress" }>[] = [];
        const completions: Extract<Transition, { type: "complete" }>[] = [];
        for (const item of items) {
          if (item.type === "start") starts.set(item.attempt, true);
          else if (item.type === "progress") progress.push(item);
          else completions.push(item);
        }
        // A job that started and ended within this batch is written once, start and end together;
        // one with progress in between needs its start first.
        for (const p of progress) if (starts.has(p.attempt)) starts.set(p.attempt, false);
        const startedHere = new Set(
          completions
            .filter((c) => starts.get(c.attempt) === true || c.attempt.startUnwritten)
            .map((c) => c.attempt),
        );
        await startJobAttempts(
          tx,
          [...starts.keys()]
            .filter((a) => !startedHere.has(a))
            .map((a) => ({ id: a.job.id, attempt: a.attempt, startedAt: a.startedAt })),
        );
        await writeProgress(tx, progress);
        const done = await completeJobAttempts(
          tx,
          completions.map((c) => ({
            id: c.attempt.job.id,
            attempt: c.attempt.attempt,
            result: c.result,
            finishedAt: c.finishedAt,
            startedAt: startedHere.has(c.attempt) ? c.attempt.startedAt : undefined,
          })),
        );
        const byQueue = new Map<string, { id: string; retryCount: number }[]>();
        for (const { attempt } of completions) {
          const list = byQueue.get(attempt.job.queue) ?? [];
          list.push({ id: attempt.job.id, retryCount: attempt.retryCount });
          byQueue.set(attempt.job.queue, list);
        }
        for (const [name, attempts] of byQueue) await queue.complete(tx, name, attempts);
        await enqueueJobWebhooks(tx, queue, catalog, done);
      }),
    batch,
  );

  async function writeProgress(tx: Db, items: Extract<Transition, { type: "progress" }>[]): Promise<void> {
    if (items.length === 0) return;
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
  }

  /**
   * An attempt whose start mark was lost (the database went away) is marked started first: the
   * failure and release writes only touch the attempt that is active, and would leave the job
   * `queued` in the mirror while pg-boss has settled it.
   */
  async function writeUnwrittenStart(tx: Db, running: RunningAttempt): Promise<void> {
    if (!running.startUnwritten) return;
    await startJobAttempts(tx, [
      { id: running.job.id, attempt: running.attempt, startedAt: running.startedAt },
    ]);
  }

  async function fail(running: RunningAttempt, error: SluiceError): Promise<void> {
    const job = running.job;
    const dead = await db.transaction().execute(async (tx) => {
      await writeUnwrittenStart(tx, running);
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
      await writeUnwrittenStart(tx, running);
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
    start(fetched) {
      const attempts = fetched.map(attemptOf);
      for (const attempt of attempts) {
        transitions.push({ type: "start", attempt }, () => {
          // Written with the attempt's end instead (the worker retries that while it can).
          attempt.startUnwritten = true;
        });
      }
      return attempts;
    },
    async finish(attempt, end) {
      switch (end.kind) {
        case "completed":
          return transitions.add({ type: "complete", attempt, result: end.result, finishedAt: new Date() });
        case "failed":
          // Written after the attempt's start and progress.
          await transitions.flush();
          return fail(attempt, end.error);
        case "released":
          await transitions.flush();
          return release(attempt);
        case "cancelled":
          return;
      }
    },
    progress(attempt, percent, message) {
      const clamped = Math.max(0, Math.min(100, Math.round(percent)));
      return transitions.add({
        type: "progress",
        attempt,
        percent: clamped,
        message: message?.slice(0, 500) ?? null,
      });
    },
    flush: () => transitions.flush(),
    get unwritten() {
      return transitions.pending;
    },
    whenUnwrittenAtMost: (n) => transitions.whenPendingAtMost(n),
  };
}
