/** A counting limit on jobs running at once in this process. */
export interface Slots {
  readonly free: number;
  readonly busy: number;
  take(): void;
  give(): void;
  /** Resolves when at least one slot is free (at once if one is). */
  whenFree(): Promise<void>;
  /** Resolves when `n` slots are free, or after `maxWaitMs` with at least one free. */
  whenFreeAtLeast(n: number, maxWaitMs: number): Promise<void>;
  /** Resolves when no slot is taken. */
  whenIdle(): Promise<void>;
}

/** Creates `capacity` slots. */
export function createSlots(capacity: number): Slots {
  let busy = 0;
  let freeWaiters: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  return {
    get free() {
      return capacity - busy;
    },
    get busy() {
      return busy;
    },
    take() {
      busy += 1;
    },
    give() {
      busy -= 1;
      const waiting = freeWaiters;
      freeWaiters = [];
      for (const wake of waiting) wake();
      if (busy === 0) {
        const idle = idleWaiters;
        idleWaiters = [];
        for (const wake of idle) wake();
      }
    },
    whenFree() {
      if (busy < capacity) return Promise.resolve();
      return new Promise((resolve) => freeWaiters.push(resolve));
    },
    async whenFreeAtLeast(n, maxWaitMs) {
      await this.whenFree();
      const deadline = performance.now() + maxWaitMs;
      while (capacity - busy < n && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, deadline - performance.now()));
          freeWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await this.whenFree();
    },
    whenIdle() {
      if (busy === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
