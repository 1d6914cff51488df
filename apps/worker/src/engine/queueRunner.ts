import type { FetchedJob } from "@sluice/db";
import { type JobClaimer, UncertainFetch } from "./jobClaimer.ts";
import type { Slots } from "./slots.ts";
import { createWakeSignal, type WakeSignal } from "./wakeSignal.ts";

/** One queue's fetch loop. */
export interface QueueRunner {
  readonly name: string;
  /** Fetch now (a job was enqueued, a slot freed, a retry came due). */
  wake(): void;
  /** Stops fetching; resolves once no fetch is under way. */
  stop(): Promise<void>;
}

/** Options of {@link startQueueRunner}. */
export interface QueueRunnerOptions {
  name: string;
  claimer: JobClaimer;
  slots: Slots;
  /** Most jobs one fetch takes. */
  batchSize: number;
  /** Longest sleep between fetches when nothing wakes the loop. */
  pollMs: number;
  /** Takes fetched jobs; their slots are already taken and must each be given back once. */
  dispatch(jobs: FetchedJob[]): void;
  /** Resolves when fetching more is welcome (results are not piling up unwritten). */
  ready?: () => Promise<void>;
  onError(error: unknown): void;
}

/**
 * Fetches in batches while there is work and free slots, and sleeps only when a fetch comes back
 * short: a backlog is drained at full speed, an idle queue wakes on notifications (or the poll).
 */
export function startQueueRunner(options: QueueRunnerOptions): QueueRunner {
  const wake: WakeSignal = createWakeSignal();
  let stopping = false;
  let errorDelay = 100;
  let fetching: Promise<FetchedJob[]> | undefined;

  /**
   * A fetch whose commit went unanswered keeps its jobs' slots until the database says whether it
   * committed: then its jobs run (they are this worker's, and nobody else's until they expire).
   */
  async function settle(fetch: UncertainFetch): Promise<void> {
    let jobs: FetchedJob[] = [];
    try {
      jobs = await options.claimer.settle(fetch, () => stopping);
    } catch (error) {
      options.onError(error);
    }
    for (let i = jobs.length; i < fetch.jobs.length; i++) options.slots.give();
    if (jobs.length > 0) options.dispatch(jobs);
  }

  let backlog = false;
  async function loop(): Promise<void> {
    while (!stopping) {
      // With a backlog, wait a moment for several slots rather than fetching jobs one by one.
      if (backlog) await options.slots.whenFreeAtLeast(Math.ceil(options.batchSize / 2), 5);
      else await options.slots.whenFree();
      await options.ready?.();
      if (stopping) break;
      // Slots are taken before the fetch so that queues sharing them never fetch more than fit.
      const want = Math.min(options.batchSize, options.slots.free);
      // Another queue took the slot that just freed.
      if (want === 0) continue;
      for (let i = 0; i < want; i++) options.slots.take();
      let jobs: FetchedJob[] = [];
      try {
        fetching = options.claimer.claim(options.name, want);
        jobs = await fetching;
        errorDelay = 100;
      } catch (error) {
        options.onError(error);
        const held = error instanceof UncertainFetch ? error.jobs.length : 0;
        for (let i = held; i < want; i++) options.slots.give();
        if (error instanceof UncertainFetch) void settle(error);
        await wake.sleep(errorDelay);
        errorDelay = Math.min(errorDelay * 2, 5_000);
        continue;
      } finally {
        fetching = undefined;
      }
      for (let i = jobs.length; i < want; i++) options.slots.give();
      if (jobs.length > 0) options.dispatch(jobs);
      backlog = jobs.length === want;
      if (!backlog) await wake.sleep(options.pollMs);
    }
  }

  void loop();
  return {
    name: options.name,
    wake: () => wake.wake(),
    async stop() {
      stopping = true;
      wake.wake();
      // A fetch under way still hands its jobs over; a loop waiting for a slot exits when one frees.
      await fetching?.catch(() => {});
    },
  };
}
