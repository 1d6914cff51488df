import {
  type AttemptEnd,
  createJobLifecycle,
  type JobCatalog,
  type JobLifecycle,
  type RunningAttempt,
} from "@sluice/core";
import {
  createPgListener,
  type Db,
  type FetchedJob,
  findCancelledJobIds,
  JOB_CANCEL_CHANNEL,
  JOBS_CHANNEL,
  type Job,
  type JobQueue,
  type PgListener,
} from "@sluice/db";
import type { Logger } from "pino";
import type { JobHandlers } from "../handlers/jobHandler.ts";
import { createAttemptRunner } from "./attemptRunner.ts";
import { startMaintenance } from "./maintenance.ts";
import { type QueueRunner, startQueueRunner } from "./queueRunner.ts";
import { createSlots } from "./slots.ts";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  db: Db;
  /** For the LISTEN connection. */
  databaseUrl: string;
  queue: JobQueue;
  catalog: JobCatalog;
  handlers: JobHandlers;
  logger: Logger;
  /** Jobs run at once in this process (all queues together). */
  concurrency: number;
  /** Job kinds to work (default: every kind with a handler). */
  kinds?: string[] | undefined;
  /** Most jobs one fetch takes (default 50, never more than the free slots). */
  batchSize?: number;
  /** Longest sleep between fetches of an idle queue. */
  pollMs: number;
  /** How long a stop lets running jobs finish before giving them back to the queue. */
  shutdownGraceMs: number;
  /** How often running jobs are checked for a cancel that was missed (default 2 s). */
  cancelCheckMs?: number;
  eventRetentionDays: number;
  /** Told about every job that died. */
  onDead?: (job: Job) => void;
  /** Told how every attempt ended. */
  onEnd?: (attempt: RunningAttempt, end: AttemptEnd, ms: number) => void;
  /** Overrides how completions and progress are batched. */
  batch?: { maxItems?: number; maxWaitMs?: number };
}

/** A running worker. */
export interface Worker {
  readonly kinds: string[];
  /** Jobs running now. */
  readonly running: number;
  /**
   * Stops fetching, lets running jobs finish for the grace period, then aborts the rest (they go
   * back to the queue with their attempt refunded) and writes what is pending.
   */
  stop(): Promise<void>;
}

/**
 * Starts a worker: one fetch loop per queue sharing `concurrency` slots; jobs are fetched in batches
 * and each runs on its own, so a slow job never holds back the others of its batch.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const kinds = (options.kinds ?? Object.keys(options.handlers)).filter((k) => options.catalog.get(k));
  for (const kind of options.kinds ?? []) {
    if (!options.catalog.get(kind)) throw new RangeError(`unknown job kind "${kind}"`);
  }
  const slots = createSlots(options.concurrency);
  const lifecycle: JobLifecycle = createJobLifecycle({
    db: options.db,
    queue: options.queue,
    catalog: options.catalog,
    ...(options.onDead ? { onDead: options.onDead } : {}),
    ...(options.batch ? { batch: options.batch } : {}),
  });
  const runners = new Map<string, QueueRunner>();
  const wakeAll = () => {
    for (const r of runners.values()) r.wake();
  };
  const attempts = createAttemptRunner({
    catalog: options.catalog,
    handlers: options.handlers,
    lifecycle,
    logger: options.logger,
    onEnd: (attempt, end, ms) => {
      options.onEnd?.(attempt, end, ms);
    },
  });

  async function dispatch(fetched: FetchedJob[]): Promise<void> {
    let started: RunningAttempt[];
    try {
      started = await lifecycle.start(fetched);
    } catch (error) {
      // pg-boss holds these attempts as active: they expire at their hard limit and run again.
      options.logger.error({ err: error, jobs: fetched.length }, "fetched jobs could not be started");
      for (const _ of fetched) slots.give();
      return;
    }
    for (let i = started.length; i < fetched.length; i++) slots.give();
    for (const attempt of started) {
      void attempts.run(attempt).finally(() => {
        slots.give();
        runners.get(attempt.job.queue)?.wake();
      });
    }
  }

  const listener: PgListener = await createPgListener({
    connectionString: options.databaseUrl,
    channels: [JOBS_CHANNEL, JOB_CANCEL_CHANNEL],
    applicationName: "sluice-worker-listen",
    onNotification(channel, payload) {
      if (channel === JOBS_CHANNEL) runners.get(payload)?.wake();
      else attempts.cancel(payload);
    },
    // Notifications sent while the connection was down are lost: look again.
    onConnect: () => {
      wakeAll();
      void sweepCancelled();
    },
    onError: (error) =>
      options.logger.warn({ err: error }, "job notifications connection lost; reconnecting"),
  });

  async function sweepCancelled(): Promise<void> {
    const ids = [...attempts.running.keys()];
    if (ids.length === 0) return;
    try {
      for (const id of await findCancelledJobIds(options.db, ids)) attempts.cancel(id);
    } catch (error) {
      options.logger.warn({ err: error }, "could not check running jobs for cancellation");
    }
  }
  const cancelSweep = setInterval(() => void sweepCancelled(), options.cancelCheckMs ?? 2_000);
  cancelSweep.unref();

  const maintenance = startMaintenance({
    db: options.db,
    queues: kinds,
    eventRetentionDays: options.eventRetentionDays,
    logger: options.logger,
  });

  for (const kind of kinds) {
    runners.set(
      kind,
      startQueueRunner({
        name: kind,
        queue: options.queue,
        slots,
        batchSize: options.batchSize ?? 50,
        pollMs: options.pollMs,
        dispatch: (jobs) => void dispatch(jobs),
        onError: (error) =>
          options.logger.warn({ err: error, queue: kind }, "fetching jobs failed; retrying"),
      }),
    );
  }

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    await Promise.all([...runners.values()].map((r) => r.stop()));
    const idle = slots.whenIdle();
    const grace = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), options.shutdownGraceMs).unref(),
    );
    if ((await Promise.race([idle, grace])) === "timeout") {
      options.logger.warn(
        { running: attempts.running.size },
        "shutdown grace period over; giving running jobs back",
      );
      attempts.abortAll();
      await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    }
    clearInterval(cancelSweep);
    maintenance.stop();
    await lifecycle.flush();
    await listener.close();
  }

  return {
    kinds,
    get running() {
      return attempts.running.size;
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
