import {
  createPgListener,
  type Db,
  JOB_EVENTS_CHANNEL,
  type JobEvent,
  listEventsOfJobs,
  type PgListener,
  parseJobEventsNotification,
} from "@sluice/db";

type Deliver = (events: JobEvent[]) => void;

/** Subscribers handed their events in one event-loop turn before the hub lets the writes go out. */
const DELIVERIES_PER_TURN = 100;
/**
 * Jobs per query of a read, and queries in flight at once: the first jobs' events go out while
 * the rest are still being read and parsed.
 */
const JOBS_PER_QUERY = 250;
const QUERIES_IN_FLIGHT = 4;

interface Watched {
  /** Highest event id handed on for this job. */
  cursor: number;
  subscribers: Set<Deliver>;
}

/** Fans job events out to subscribers of this process from one LISTEN connection. */
export interface JobEventHub {
  /**
   * Delivers the job's events after `afterId` as they commit (the first delivery may repeat ones
   * the caller replays itself: callers drop ids they have seen). Returns the unsubscribe function.
   */
  subscribe(jobId: string, afterId: number, deliver: Deliver): () => void;
  /** Jobs watched now. */
  readonly watching: number;
  /**
   * Reads of the watched jobs' new events so far: for new subscribers, notifications that carry no
   * events, reconnections and polls.
   */
  readonly reads: number;
  close(): Promise<void>;
}

/**
 * One connection LISTENs for `job_events` commits. A notification that carries its events has them
 * handed on as they are; an empty one (or a reconnection, or a new subscriber) reads the new events
 * of every watched job. Notifications and reads are handled one after another in the order they
 * came, so a job's events go out in id order: a read stands for every notification that arrives
 * before it starts, and events carried by one that arrives during it are handed on after it (those
 * it read as well are not handed on twice). A slow poll covers notifications lost on a connection
 * that broke without a sign; it reads only when nothing has been heard for as long (a connection
 * that delivers notifications delivers all of them, and a read covers every watched job).
 */
export async function startJobEventHub(options: {
  db: Db;
  databaseUrl: string;
  onError?: (error: unknown) => void;
  /** Safety poll while something is watched (default 1 s); also the wait before a failed read is retried. */
  pollMs?: number;
}): Promise<JobEventHub> {
  const pollMs = options.pollMs ?? 1_000;
  const watched = new Map<string, Watched>();
  /** Carried events and reads still to do, in the order their notifications came. */
  const queue: (JobEvent[] | typeof READ)[] = [];
  let draining: Promise<void> | undefined;
  let reads = 0;
  let lastHeardAt = 0;
  let closed = false;
  let endRetryWait: (() => void) | undefined;

  /** Passes an error to `onError`; one that throws itself stops nothing. */
  function report(error: unknown): void {
    try {
      options.onError?.(error);
    } catch {
      // A reporter that fails has nothing to report to.
    }
  }

  function enqueueRead(): void {
    // A read that has not started covers whatever was committed before it starts.
    if (queue.at(-1) !== READ) queue.push(READ);
    drainSoon();
  }

  function drainSoon(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
    });
  }

  async function drain(): Promise<void> {
    for (let item = queue.shift(); item !== undefined && !closed; item = queue.shift()) {
      if (item !== READ) {
        await deliverAll(item, { delivered: 0 });
        continue;
      }
      if (await read()) continue;
      // Failed: nothing after it may go out before a read succeeds (its events would come first), so
      // the retry stands for everything heard meanwhile. No read again at once while the database fails.
      queue.length = 0;
      queue.push(READ);
      if (closed) return;
      await new Promise<void>((resolve) => {
        endRetryWait = resolve;
        setTimeout(resolve, pollMs).unref();
      });
      endRetryWait = undefined;
    }
  }

  /** Reads every watched job's new events and delivers them; false when a query failed. */
  async function read(): Promise<boolean> {
    let again: boolean;
    do {
      again = false;
      if (watched.size === 0 || closed) return true;
      reads++;
      lastHeardAt = performance.now();
      const after = [...watched].map(([jobId, w]) => ({ jobId, afterId: w.cursor }));
      const chunks: (typeof after)[] = [];
      for (let i = 0; i < after.length; i += JOBS_PER_QUERY) chunks.push(after.slice(i, i + JOBS_PER_QUERY));
      // Each chunk's events are delivered as its query returns, in order, while the next ones run.
      const started: Promise<JobEvent[] | Error>[] = [];
      const start = (i: number) => {
        const chunk = chunks[i];
        if (chunk) started[i] = listEventsOfJobs(options.db, chunk).catch((error: unknown) => toError(error));
      };
      for (let i = 0; i < QUERIES_IN_FLIGHT; i++) start(i);
      const turn = { delivered: 0 };
      let failed: Error | undefined;
      for (let i = 0; i < chunks.length; i++) {
        const events = await started[i]!;
        start(i + QUERIES_IN_FLIGHT);
        // A failed query leaves its jobs' cursors where they were: the retry reads them again.
        if (events instanceof Error) failed ??= events;
        else {
          await deliverAll(events, turn);
          if (events.length >= 5000) again = true;
        }
      }
      if (failed) {
        // Reported once per read.
        report(failed);
        return false;
      }
    } while (again);
    return true;
  }

  async function deliverAll(events: JobEvent[], turn: { delivered: number }): Promise<void> {
    const byJob = new Map<string, JobEvent[]>();
    for (const e of events) {
      const list = byJob.get(e.jobId);
      if (list) list.push(e);
      else byJob.set(e.jobId, [e]);
    }
    for (const [jobId, list] of byJob) {
      const w = watched.get(jobId);
      if (!w) continue;
      // A read and a notification may both bring an event: it goes out once.
      const fresh = list[0]!.id > w.cursor ? list : list.filter((e) => e.id > w.cursor);
      if (fresh.length === 0) continue;
      w.cursor = fresh.at(-1)!.id;
      for (const deliver of [...w.subscribers]) {
        // One subscriber's failure neither stops the others' deliveries nor the hub.
        try {
          deliver(fresh);
        } catch (error) {
          report(error);
        }
        // Socket writes go out only once the turn ends: end it every so many subscribers, so the
        // first ones are on the wire while the rest are still being prepared.
        if (++turn.delivered % DELIVERIES_PER_TURN === 0) await new Promise((r) => setImmediate(r));
      }
    }
  }

  const listener: PgListener = await createPgListener({
    connectionString: options.databaseUrl,
    channels: [JOB_EVENTS_CHANNEL],
    applicationName: "sluice-api-listen",
    onNotification: (_channel, payload) => {
      lastHeardAt = performance.now();
      // A read that has not started yet covers it, whatever it carries.
      if (watched.size === 0 || queue.at(-1) === READ) return;
      const events = parseJobEventsNotification(payload);
      if (!events) return enqueueRead();
      queue.push(events);
      drainSoon();
    },
    onConnect: () => enqueueRead(),
    onError: options.onError ?? (() => {}),
  });
  const poll = setInterval(() => {
    // The timer's own jitter aside (10%), anything heard within the last interval already covered it.
    if (watched.size > 0 && performance.now() - lastHeardAt >= pollMs * 0.9) enqueueRead();
  }, pollMs);
  poll.unref();

  return {
    subscribe(jobId, afterId, deliver) {
      let w = watched.get(jobId);
      // A subscriber behind the hub's cursor replays the gap from the table itself.
      if (!w) {
        w = { cursor: afterId, subscribers: new Set() };
        watched.set(jobId, w);
      }
      w.subscribers.add(deliver);
      enqueueRead();
      return () => {
        const current = watched.get(jobId);
        if (!current) return;
        current.subscribers.delete(deliver);
        if (current.subscribers.size === 0) watched.delete(jobId);
      };
    },
    get watching() {
      return watched.size;
    },
    get reads() {
      return reads;
    },
    async close() {
      clearInterval(poll);
      await listener.close();
      closed = true;
      queue.length = 0;
      endRetryWait?.();
      await draining;
    },
  };
}

/** A queued read of every watched job's new events. */
const READ = Symbol("read");

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
