/** Collects items and writes them together: when `maxItems` are waiting or `maxWaitMs` has passed. */
export interface WriteBatcher<T> {
  /** Resolves once the item's batch is written (rejects if that write failed). */
  add(item: T): Promise<void>;
  /** Writes whatever is waiting now. */
  flush(): Promise<void>;
  /** Items added and not yet written. */
  readonly pending: number;
}

/** Creates a batcher; batches are written one at a time, in the order items arrived. */
export function createWriteBatcher<T>(
  write: (items: T[]) => Promise<void>,
  options: { maxItems: number; maxWaitMs: number },
): WriteBatcher<T> {
  let items: T[] = [];
  let waiters: { resolve(): void; reject(error: unknown): void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let inFlight = 0;

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (items.length === 0) return chain;
    const batch = items;
    const batchWaiters = waiters;
    items = [];
    waiters = [];
    inFlight += batch.length;
    chain = chain.then(async () => {
      try {
        await write(batch);
        for (const w of batchWaiters) w.resolve();
      } catch (error) {
        for (const w of batchWaiters) w.reject(error);
      } finally {
        inFlight -= batch.length;
      }
    });
    return chain;
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
