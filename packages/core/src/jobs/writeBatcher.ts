/** Collects items and writes them together: when `maxItems` are waiting or `maxWaitMs` has passed. */
export interface WriteBatcher<T> {
  /** Resolves once the item's batch is written (rejects if that write failed). */
  add(item: T): Promise<void>;
  /** Writes whatever is waiting now; resolves when every write started so far has ended. */
  flush(): Promise<void>;
  /** Items added and not yet written. */
  readonly pending: number;
}

/**
 * Creates a batcher. With `parallel` 1 (the default) batches are written one at a time, in the
 * order items arrived; a higher value lets that many batches be written at once (for items whose
 * relative order does not matter).
 */
export function createWriteBatcher<T>(
  write: (items: T[]) => Promise<void>,
  options: { maxItems: number; maxWaitMs: number; parallel?: number },
): WriteBatcher<T> {
  const parallel = Math.max(1, options.parallel ?? 1);
  let items: T[] = [];
  let waiters: { resolve(): void; reject(error: unknown): void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writing = new Set<Promise<void>>();
  let queue: Promise<void> = Promise.resolve();
  let inFlight = 0;

  async function writeBatch(batch: T[], batchWaiters: typeof waiters): Promise<void> {
    try {
      await write(batch);
      for (const w of batchWaiters) w.resolve();
    } catch (error) {
      for (const w of batchWaiters) w.reject(error);
    } finally {
      inFlight -= batch.length;
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (items.length > 0) {
      const batch = items;
      const batchWaiters = waiters;
      items = [];
      waiters = [];
      inFlight += batch.length;
      // Batches start in arrival order, at most `parallel` at a time.
      queue = queue.then(async () => {
        while (writing.size >= parallel) await Promise.race(writing);
        const promise = writeBatch(batch, batchWaiters);
        writing.add(promise);
        void promise.finally(() => writing.delete(promise));
      });
    }
    return queue.then(() => Promise.all(writing)).then(() => {});
  }

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (items.length >= options.maxItems) void flush();
        else if (!timer) {
          timer = setTimeout(() => void flush(), options.maxWaitMs);
          timer.unref();
        }
      });
    },
    flush,
    get pending() {
      return items.length + inFlight;
    },
  };
}
