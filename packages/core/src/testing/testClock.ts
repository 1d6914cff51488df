import type { Clock } from "../limits/clock.ts";

interface Timer {
  dueAt: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when a test moves it; its timers fire as it passes their time. */
export interface TestClock extends Clock {
  now(): number;
  schedule(fn: () => void, ms: number): () => void;
  /** Moves the clock `ms` forward, firing every timer that falls due on the way, in time order. */
  advance(ms: number): void;
  /** Moves the clock to `time`; forward, it fires due timers as `advance` does; back, it fires none. */
  set(time: Date | number): void;
  /** Timers scheduled and not yet fired or cancelled. */
  readonly pendingTimers: number;
}

/** Creates a test clock starting at `start` (default 2026-01-01T00:00:00Z). */
export function createTestClock(start: Date | number = Date.UTC(2026, 0, 1)): TestClock {
  let current = typeof start === "number" ? start : start.getTime();
  let seq = 0;
  const timers = new Set<Timer>();

  /** The timer due first (the earliest scheduled among equals), if any is due by `until`. */
  function nextDue(until: number): Timer | undefined {
    let next: Timer | undefined;
    for (const t of timers) {
      if (t.dueAt > until) continue;
      if (!next || t.dueAt < next.dueAt || (t.dueAt === next.dueAt && t.seq < next.seq)) next = t;
    }
    return next;
  }

  function advanceTo(target: number): void {
    // Timers a firing timer schedules fire in the same move when they fall due before its end.
    for (let t = nextDue(target); t; t = nextDue(target)) {
      timers.delete(t);
      current = Math.max(current, t.dueAt);
      t.fn();
    }
    current = Math.max(current, target);
  }

  return {
    now: () => current,
    schedule(fn, ms) {
      const timer = { dueAt: current + Math.max(0, ms), seq: seq++, fn };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`a test clock moves forward only, got ${ms} ms`);
      advanceTo(current + ms);
    },
    set(time) {
      const target = typeof time === "number" ? time : time.getTime();
      if (target >= current) advanceTo(target);
      else current = target;
    },
    get pendingTimers() {
      return timers.size;
    },
  };
}
