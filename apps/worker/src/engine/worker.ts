import {
  type AttemptEnd,
  createJobLifecycle,
  type JobCatalog,
  type JobLifecycle,
  type RunningAttempt,
} from "@sluice/core";
import {
  createDb,
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
import { createJobClaimer } from "./jobClaimer.ts";
import { startMaintenance } from "./maintenance.ts";
import { type QueueRunner, startQueueRunner } from "./queueRunner.ts";
import type { RetentionSettings, RetentionTable } from "./retentionPass.ts";
import { createSlots } from "./slots.ts";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  db: Db;
  /** For the LISTEN connection, and the fetches' own pool. */
  databaseUrl: string;
  /**
   * Where jobs are fetched (default: a {@link createFetchDb} pool of the worker's own on `databaseUrl`,
   * so that a fetch, a transaction of several statements, never waits behind handlers' queries nor
   * they behind it).
   */
  fetchDb?: Db;
  queue: JobQueue;
  catalog: JobCatalog;
  handlers: JobHandlers;
  logger: Logger;
  /** Jobs run at once in this process (all queues together). */
  concurrency: number;
  /** Job kinds to work (default: every kind with a handler). */
  kinds?: string[] | undefined;
  /** Most jobs one fetch takes (default: half the concurrency, 1 to 200; never more than the free slots). */
  batchSize?: number;
  /** Fetch loops per queue (default 2): one fetches while the other's jobs are being started. */
  fetchers?: number;
  /** Longest sleep between fetches of an idle queue. */
  pollMs: number;
  /** How long a stop lets running jobs finish before giving them back to the queue. */
  shutdownGraceMs: number;
  /** How often running jobs are checked for a cancel that was missed (default 2 s). */
  cancelCheckMs?: number;
  eventRetentionDays: number;
  /** The other retentions and how often their pass runs (defaults: the configuration's). */
  retention?: Partial<Omit<RetentionSettings, "jobEventsDays">> & { intervalMs?: number };
  /** Told after maintenance deleted rows of a table, and how each of its passes ended. */
  onRowsDeleted?: (table: RetentionTable, rows: number) => void;
  onMaintenancePass?: (outcome: "ran" | "skipped" | "failed") => void;
  /** Told about every job that died. */
  onDead?: (job: Job) => void;
  /** Told how every attempt ended. */
  onEnd?: (attempt: RunningAttempt, end: AttemptEnd, ms: number) => void;
  /** Overrides how completions and progress are batched. */
  batch?: { maxItems?: number; maxWaitMs?: number; parallel?: number };
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

// Far longer than a fetch's transaction ever idles between its statements (milliseconds), far
// shorter than a worker can afford to hold the slots of a fetch whose outcome it is waiting to learn.
const FETCH_IDLE_IN_TRANSACTION_MS = 15_000;

/**
 * The worker's own pool for fetching jobs. A fetch whose COMMIT never reached the server (the network
 * dropped, the server stayed up) leaves its backend idle in transaction: the server ends it soon, so
 * the transaction aborts and the worker learns so in seconds, not once TCP gives up hours later.
 */
export function createFetchDb(databaseUrl: string, fetchLoops: number): Db {
  return createDb(databaseUrl, {
    // A client for every fetch loop plus two for the status queries of uncertain fetches, so a loop
    // never waits for a pooled one: the pool's wait timeout ("timeout exceeded when trying to
    // connect") reads as an outage. The timeout itself stays: it also bounds connecting to a server
    // that does not answer.
    max: fetchLoops + 2,
    applicationName: "sluice-worker-fetch",
    // Commits without waiting for the disk, as pg-boss's own fetches do: a crash that forgets a
    // fetch puts its jobs back on the queue, to run again.
    synchronousCommit: false,
    idleInTransactionTimeoutMillis: FETCH_IDLE_IN_TRANSACTION_MS,
    keepAliveMillis: 10_000,
  });
}

// The time limit pg-boss expires a fetched job after; a kind missing from the catalog (never, as
// kinds are filtered by it) gets the smallest of all, the safe side.
function timeLimitOf(catalog: JobCatalog, queue: string): number {
  return catalog.get(queue)?.timeLimitSeconds ?? Math.min(...catalog.list().map((k) => k.timeLimitSeconds));
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
  const runners = new Map<string, QueueRunner[]>();
  const wake = (queue: string) => {
    for (const r of runners.get(queue) ?? []) r.wake();
  };
  const wakeAll = () => {
    for (const queue of runners.keys()) wake(queue);
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

  function dispatch(fetched: FetchedJob[]): void {
    for (const attempt of lifecycle.start(fetched)) {
      void attempts.run(attempt, () => {
        slots.give();
        wake(attempt.job.queue);
      });
    }
  }

  const listener: PgListener = await createPgListener({
    connectionString: options.databaseUrl,
    channels: [JOBS_CHANNEL, JOB_CANCEL_CHANNEL],
    applicationName: "sluice-worker-listen",
    onNotification(channel, payload) {
      if (channel === JOBS_CHANNEL) wake(payload);
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
    ...(options.retention ? { retention: options.retention } : {}),
    ...(options.retention?.intervalMs ? { retentionCheckMs: options.retention.intervalMs } : {}),
    ...(options.onRowsDeleted ? { onDeleted: options.onRowsDeleted } : {}),
    ...(options.onMaintenancePass ? { onPass: options.onMaintenancePass } : {}),
  });

  const fetchers = Math.max(1, options.fetchers ?? 2);
  const fetchDb = options.fetchDb ?? createFetchDb(options.databaseUrl, kinds.length * fetchers);
  const claimer = createJobClaimer({
    db: fetchDb,
    queue: options.queue,
    timeLimitSeconds: (queue) => timeLimitOf(options.catalog, queue),
  });
  for (const kind of kinds) {
    const loops = Array.from({ length: fetchers }, () =>
      startQueueRunner({
        name: kind,
        claimer,
        slots,
        batchSize: options.batchSize ?? 50,
        pollMs: options.pollMs,
        dispatch,
        ready: writesCaughtUp,
        onError: (error) =>
          options.logger.warn({ err: error, queue: kind }, "fetching jobs failed; retrying"),
      }),
    );
    runners.set(kind, loops);
  }

  // Outcomes are written in batches after their slots are free again; fetching waits when too many
  // are still unwritten, so a slow database slows the worker instead of filling its memory. The
  // bound leaves room to fetch the next jobs while two batches are being written.
  const maxUnwritten = Math.max(2_000, options.concurrency * 6);
  function writesCaughtUp(): Promise<void> {
    return lifecycle.whenUnwrittenAtMost(maxUnwritten);
  }

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    await Promise.all([...runners.values()].flat().map((r) => r.stop()));
    const idle = slots.whenIdle().then(() => attempts.whenSettled());
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
    if (fetchDb !== options.fetchDb) await fetchDb.destroy();
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
