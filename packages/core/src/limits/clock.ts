/**
 * Time source for behaviour that depends on it (rate windows, budget days, lease expiry, breakers,
 * write batching), injectable in tests. A clock without `schedule` runs its timers in real time.
 */
export interface Clock {
  now(): number;
  /**
   * Calls `fn` once `ms` have passed on this clock; returns a function that cancels the call.
   * Timers never keep a process alive (they are background work: flushes, renewals).
   */
  schedule?(fn: () => void, ms: number): () => void;
}

/** Schedules on real timers, unref'd so that background work never holds a process open. */
function realSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now(), schedule: realSchedule };

/** How far `clock` is ahead of the wall clock (0 for the wall clock itself), for SQL that uses Postgres's now. */
export function wallClockOffsetMs(clock: Clock): number {
  return clock === systemClock ? 0 : clock.now() - Date.now();
}

/** Calls `fn` after `ms` on `clock` (on real timers when the clock has none); returns a canceller. */
export function scheduleOn(clock: Clock, fn: () => void, ms: number): () => void {
  return (clock.schedule ?? realSchedule)(fn, ms);
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason when it aborts first. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    // A real sleep someone awaits keeps the process alive, unlike a background timer.
    const real = clock.schedule === undefined || clock.schedule === realSchedule;
    let cancel: () => void;
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const done = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    if (real) {
      const timer = setTimeout(done, ms);
      cancel = () => clearTimeout(timer);
    } else cancel = scheduleOn(clock, done, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
