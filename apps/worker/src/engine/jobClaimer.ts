import {
  assignedTransactionId,
  type Db,
  type FetchedJob,
  isDatabaseUnavailable,
  type JobQueue,
  transactionStatus,
} from "@sluice/db";

/** A fetch whose commit went unanswered: its jobs are this worker's only if it committed. */
export class UncertainFetch extends Error {
  readonly xid: string;
  readonly jobs: FetchedJob[];
  /** When the fetch began, on `performance.now()`: pg-boss counts the jobs' time limit from about then. */
  readonly startedAt: number;

  constructor(xid: string, jobs: FetchedJob[], startedAt: number, options: { cause: unknown }) {
    super(`the database went away while a fetch of ${jobs.length} job(s) was committing`, options);
    this.name = "UncertainFetch";
    this.xid = xid;
    this.jobs = jobs;
    this.startedAt = startedAt;
  }
}

/**
 * Whether an uncertain fetch is past settling: once its jobs may have outlived their time limit,
 * pg-boss may have expired them and handed them out again, so running them here could run them twice.
 * `elapsedMs` counts from before the fetch was sent, so it never undercounts pg-boss's clock.
 */
export function settleExpired(elapsedMs: number, timeLimitSeconds: number): boolean {
  return elapsedMs >= timeLimitSeconds * 1000;
}

/** Takes jobs off the queues so that a connection lost mid-fetch never leaves jobs handed out to nobody. */
export interface JobClaimer {
  /**
   * Up to `batchSize` jobs of `queue`, fetched in a transaction of the worker's own: a fetch whose
   * answer is lost never commits (pg-boss's own autocommit fetch would have handed its jobs out to
   * nobody until they expire). One whose commit goes unanswered throws {@link UncertainFetch}.
   */
  claim(queue: string, batchSize: number): Promise<FetchedJob[]>;
  /**
   * The jobs of an uncertain fetch that are this worker's: all if it committed, none if not. Asks
   * until the database answers, or gives up (none) once `stopping` says so or the jobs' time limit
   * has passed (pg-boss expires and retries them).
   */
  settle(fetch: UncertainFetch, stopping: () => boolean): Promise<FetchedJob[]>;
}

/** What a claimer needs. */
export interface JobClaimerDeps {
  db: Db;
  queue: JobQueue;
  /** The time limit of a queue's jobs, after which pg-boss expires them. */
  timeLimitSeconds(queue: string): number;
}

/** Creates the claimer of a worker. */
export function createJobClaimer(deps: JobClaimerDeps): JobClaimer {
  return {
    async claim(queue, batchSize) {
      const startedAt = performance.now();
      let xid: string | null = null;
      let jobs: FetchedJob[] = [];
      try {
        return await deps.db.transaction().execute(async (tx) => {
          jobs = await deps.queue.fetchIn(tx, queue, batchSize);
          // An empty fetch wrote nothing and needs no id (asking for one first would spend a
          // transaction id, and a round trip, on every poll). If this answer is lost the
          // transaction never commits: an ordinary failed fetch.
          if (jobs.length === 0) return jobs;
          xid = await assignedTransactionId(tx);
          if (xid === null) throw new Error(`a fetch of ${jobs.length} job(s) from ${queue} wrote nothing`);
          return jobs;
        });
      } catch (error) {
        // Past the id, only the COMMIT was left: whether it took is for settle() to learn.
        if (xid !== null && jobs.length > 0 && isDatabaseUnavailable(error)) {
          throw new UncertainFetch(xid, jobs, startedAt, { cause: error });
        }
        throw error;
      }
    },
    async settle(fetch, stopping) {
      const limit = Math.min(...fetch.jobs.map((job) => deps.timeLimitSeconds(job.queue)));
      const expired = () => settleExpired(performance.now() - fetch.startedAt, limit);
      for (let delay = 50; !stopping() && !expired(); delay = Math.min(delay * 2, 2_000)) {
        try {
          const status = await transactionStatus(deps.db, fetch.xid);
          // An answer that took past the limit comes too late for the jobs all the same.
          if (status === "committed") return expired() ? [] : fetch.jobs;
          // Too old to tell is not a case that arises within a worker's retries; not ours is the safe side.
          if (status !== "in progress") return [];
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      return [];
    },
  };
}
