import type { IBackoff, IBackoffFactory } from "cockatiel";
import type { Clock } from "../limits/clock.ts";

/** When an open breaker lets a trial through, decided on Sluice's clock. */
export interface ClockedHalfOpen<T> extends IBackoffFactory<T> {
  /** Milliseconds on the clock until the open breaker lets a trial through (undefined: never opened). */
  remainingMs(): number | undefined;
}

/**
 * cockatiel's breaker times its open state with `Date.now()` and no clock of its own: it stays open
 * while `Date.now() - openedAt < backoff.duration`, reading `duration` at each call. This backoff
 * factory, passed as `halfOpenAfter`, starts counting on `clock` when the breaker opens (cockatiel
 * asks for the next backoff right then) and answers `duration` from `clock`: minus infinity once
 * `halfOpenAfterMs` have passed on it (so the next call is the trial, even if the wall clock stepped
 * back meanwhile), infinity before. Tests then move a test clock instead of waiting.
 */
export function clockedHalfOpen<T>(clock: Clock, halfOpenAfterMs: number): ClockedHalfOpen<T> {
  let openedAt: number | undefined;
  const backoff: IBackoff<T> = {
    get duration() {
      return openedAt !== undefined && clock.now() - openedAt >= halfOpenAfterMs
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY;
    },
    next: () => start(),
  };
  function start(): IBackoff<T> {
    openedAt = clock.now();
    return backoff;
  }
  return {
    next: () => start(),
    remainingMs: () =>
      openedAt === undefined ? undefined : Math.max(0, openedAt + halfOpenAfterMs - clock.now()),
  };
}
