import {
  currentTransactionId,
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

  constructor(xid: string, jobs: FetchedJob[], options: { cause: unknown }) {
    super(`the database went away while a fetch of ${jobs.length} job(s) was committing`, options);
    this.name = "UncertainFetch";
    this.xid = xid;
    this.jobs = jobs;
  }
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
   * until the database answers, or gives up (none) once `stopping` says so.
   */
  settle(fetch: UncertainFetch, stopping: () => boolean): Promise<FetchedJob[]>;
}

/** Creates the claimer of a worker. */
export function createJobClaimer(deps: { db: Db; queue: JobQueue }): JobClaimer {
  return {
    async claim(queue, batchSize) {
      let xid: string | undefined;
      let jobs: FetchedJob[] | undefined;
      try {
        return await deps.db.transaction().execute(async (tx) => {
          xid = await currentTransactionId(tx);
          jobs = await deps.queue.fetchIn(tx, queue, batchSize);
          return jobs;
        });
      } catch (error) {
        if (xid !== undefined && jobs && jobs.length > 0 && isDatabaseUnavailable(error)) {
          throw new UncertainFetch(xid, jobs, { cause: error });
        }
        throw error;
      }
    },
    async settle(fetch, stopping) {
      for (let delay = 50; !stopping(); delay = Math.min(delay * 2, 2_000)) {
        try {
          const status = await transactionStatus(deps.db, fetch.xid);
          if (status === "committed") return fetch.jobs;
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
