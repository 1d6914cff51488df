/** Time source for behaviour that depends on it (rate windows, budget days), injectable in tests. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
