import { type Clock, scheduleOn, systemClock } from "../limits/clock.ts";

/** Collects items and writes them together: when `maxItems` are waiting or `maxWaitMs` has passed. */
export interface WriteBatcher<T> {
  /** Resolves once the item's batch is written (rejects if that write failed). */
  add(item: T): Promise<void>;
  /** Like `add`, for a caller that only wants to hear of a failed write (no promise is made). */
  push(item: T, onError: (error: unknown) => void): void;
  /** Writes whatever is waiting now; resolves when every write started so far has ended. */
  flush(): Promise<void>;
  /** Items added and not yet written. */
  readonly pending: number;
  /** Resolves once at most `n` items are pending (at once if so already). */
  whenPendingAtMost(n: number): Promise<void>;
}

/** Options of {@link createWriteBatcher}. */
export interface WriteBatcherOptions<T> {
  maxItems: number;
  maxWaitMs: number;
  /** Batches written at once (default 1). */
  parallel?: number;
  /**
   * What an item's order is kept within: a batch holding a key that an earlier batch still being
   * written also holds waits for that batch. Without it, batches written at once keep no order.
   */
  keyOf?: (item: T) => string;
  /** Times `maxWaitMs` (default the wall clock). */
  clock?: Clock;
}

const noop = () => {};

interface InFlight {
  done: Promise<void>;
  keys: Set<string> | undefined;
}

/**
 * Creates a batcher. With `parallel` 1 (the default) batches are written one at a time, in the
 * order items arrived; a higher value lets that many batches be written at once, ordered only
 * among batches that share a key (`keyOf`), or not at all when there is no `keyOf`.
 */
export function createWriteBatcher<T>(
  write: (items: T[]) => Promise<void>,
  options: WriteBatcherOptions<T>,
): WriteBatcher<T> {
  const parallel = Math.max(1, options.parallel ?? 1);
  const keyOf = options.keyOf;
  let items: T[] = [];
  let waiters: { resolve(): void; reject(error: unknown): void }[] = [];
  const clock = options.clock ?? systemClock;
  /** Cancels the pending `maxWaitMs` flush, when one is arranged. */
  let cancelTimer: (() => void) | undefined;
  const writing = new Set<InFlight>();
  let queue: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let drainWaiters: { n: number; resolve(): void }[] = [];

  function pending(): number {
    return items.length + inFlight;
  }

  async function writeBatch(batch: T[], batchWaiters: typeof waiters): Promise<void> {
    try {
      await write(batch);
      for (const w of batchWaiters) w.resolve();
    } catch (error) {
      for (const w of batchWaiters) w.reject(error);
    } finally {
      inFlight -= batch.length;
      if (drainWaiters.length > 0) {
        const now = pending();
        const ready = drainWaiters.filter((w) => w.n >= now);
        drainWaiters = drainWaiters.filter((w) => w.n < now);
        for (const w of ready) w.resolve();
      }
    }
  }

  /** The batches being written that this one must wait for. */
  function blockers(keys: Set<string> | undefined): InFlight[] {
    if (writing.size >= parallel) return [...writing];
    if (!keys) return [];
    return [...writing].filter((w) => w.keys && [...keys].some((k) => w.keys?.has(k)));
  }

  function flush(): Promise<void> {
    cancelTimer?.();
    cancelTimer = undefined;
    if (items.length > 0) {
      const batch = items;
      const batchWaiters = waiters;
      items = [];
      waiters = [];
      inFlight += batch.length;
      const keys = keyOf ? new Set(batch.map(keyOf)) : undefined;
      // Batches start in arrival order, so one that waits for an earlier batch holds back the later
      // ones too: a key's writes can never overtake each other.
      queue = queue.then(async () => {
        for (let wait = blockers(keys); wait.length > 0; wait = blockers(keys)) {
          await Promise.race(wait.map((w) => w.done));
        }
        const entry: InFlight = { done: Promise.resolve(), keys };
        entry.done = writeBatch(batch, batchWaiters).then(() => void writing.delete(entry));
        writing.add(entry);
      });
    }
    return queue.then(() => Promise.all([...writing].map((w) => w.done))).then(() => {});
  }

  function enqueue(item: T, waiter: (typeof waiters)[number]): void {
    items.push(item);
    waiters.push(waiter);
    if (items.length >= options.maxItems) void flush();
    else if (!cancelTimer) cancelTimer = scheduleOn(clock, () => void flush(), options.maxWaitMs);
  }

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => enqueue(item, { resolve, reject }));
    },
    push(item, onError) {
      enqueue(item, { resolve: noop, reject: onError });
    },
    flush,
    get pending() {
      return pending();
    },
    whenPendingAtMost(n) {
      if (pending() <= n) return Promise.resolve();
      return new Promise<void>((resolve) => drainWaiters.push({ n, resolve }));
    },
  };
}
