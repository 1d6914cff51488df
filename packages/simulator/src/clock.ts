/** Source of time for the simulator (batch lifecycles). */
export interface SimClock {
  now(): number;
}

/** Wall-clock time. */
export const systemClock: SimClock = { now: () => Date.now() };

/** A clock tests move by hand. */
export interface ManualClock extends SimClock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** Creates a clock that only moves when told to. */
export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}
