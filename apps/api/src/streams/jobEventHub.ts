import {
  createPgListener,
  type Db,
  JOB_EVENTS_CHANNEL,
  type JobEvent,
  listEventsOfJobs,
  type PgListener,
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
  /** Highest event id read for this job. */
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
  /** Reads of the watched jobs' new events so far (one per notification burst, or per poll). */
  readonly reads: number;
  close(): Promise<void>;
}

/**
 * One connection LISTENs for `job_events` commits; each notification (coalesced while a read is
 * under way) reads the new events of every watched job in one query. A slow poll covers
 * notifications lost while the connection was down; it reads only when nothing else has for as
 * long, since any read covers every watched job (a poll landing just before a notification would
 * hold that notification's read up behind its own).
 */
export async function startJobEventHub(options: {
  db: Db;
  databaseUrl: string;
  onError?: (error: unknown) => void;
  /** Safety poll while something is watched (default 1 s). */
  pollMs?: number;
}): Promise<JobEventHub> {
  const watched = new Map<string, Watched>();
  let reading: Promise<void> | undefined;
  let again = false;
  let reads = 0;
  let lastReadAt = 0;

  async function read(): Promise<void> {
    do {
      again = false;
      if (watched.size === 0) return;
      reads++;
      lastReadAt = performance.now();
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
      let failed = false;
      for (let i = 0; i < chunks.length; i++) {
        const events = await started[i]!;
        start(i + QUERIES_IN_FLIGHT);
        // A failed read leaves its jobs' cursors where they were: the next read (or poll) retries.
        if (events instanceof Error) {
          // Reported once per read; no read again at once while the database is failing.
          if (!failed) options.onError?.(events);
          failed = true;
        } else {
          await deliverAll(events, turn);
          if (events.length >= 5000) again = true;
        }
      }
      if (failed) return;
    } while (again);
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
      w.cursor = Math.max(w.cursor, list.at(-1)!.id);
      for (const deliver of [...w.subscribers]) {
        // One subscriber's failure neither stops the others' deliveries nor the hub.
        try {
          deliver(list);
        } catch (error) {
          options.onError?.(error);
        }
        // Socket writes go out only once the turn ends: end it every so many subscribers, so the
        // first ones are on the wire while the rest are still being prepared.
        if (++turn.delivered % DELIVERIES_PER_TURN === 0) await new Promise((r) => setImmediate(r));
      }
    }
  }

  function schedule(): void {
    if (reading) {
      again = true;
      return;
    }
    reading = read().finally(() => {
      reading = undefined;
    });
  }

  const listener: PgListener = await createPgListener({
    connectionString: options.databaseUrl,
    channels: [JOB_EVENTS_CHANNEL],
    applicationName: "sluice-api-listen",
    onNotification: () => schedule(),
    onConnect: () => schedule(),
    onError: options.onError ?? (() => {}),
  });
  const pollMs = options.pollMs ?? 1_000;
  const poll = setInterval(() => {
    // The timer's own jitter aside (10%), a read within the last interval already covered it.
    if (watched.size > 0 && performance.now() - lastReadAt >= pollMs * 0.9) schedule();
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
      schedule();
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
      await reading;
    },
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
