import { SluiceError } from "@sluice/core";

/** One numbered event of a stream. */
export interface HubEvent<T> {
  seq: number;
  data: T;
}

interface Entry<T> {
  events: HubEvent<T>[];
  done: boolean;
  wake: Set<() => void>;
}

/**
 * Keeps each running stream's events so a subscriber that reconnects with the last id it saw
 * gets the rest exactly once. Streams run on their own, whoever listens; finished ones are kept
 * for `retainMs` so late reconnects still complete.
 */
export function createStreamHub<T>(options: { retainMs?: number } = {}) {
  const retainMs = options.retainMs ?? 60_000;
  // Keyed by tenant and stream id: one tenant's ids neither reveal nor block another's.
  const entries = new Map<string, Entry<T>>();
  const keyOf = (streamId: string, tenantId: string) => `${tenantId}:${streamId}`;

  function push(entry: Entry<T>, data: T): void {
    entry.events.push({ seq: entry.events.length + 1, data });
    for (const wake of entry.wake) wake();
  }

  return {
    /** Whether a stream of this tenant exists (another tenant's stream id is simply unknown). */
    has(streamId: string, tenantId: string): boolean {
      return entries.has(keyOf(streamId, tenantId));
    },

    /** Starts producing a stream; events are kept even when nobody listens. */
    start(
      streamId: string,
      tenantId: string,
      produce: (emit: (data: T) => void) => Promise<void>,
      onError: (error: unknown) => T,
    ): void {
      const key = keyOf(streamId, tenantId);
      if (entries.has(key)) throw new SluiceError("conflict", `stream ${streamId} already exists`);
      const entry: Entry<T> = { events: [], done: false, wake: new Set() };
      entries.set(key, entry);
      void produce((data) => push(entry, data))
        .catch((error: unknown) => push(entry, onError(error)))
        .finally(() => {
          entry.done = true;
          for (const wake of entry.wake) wake();
          setTimeout(() => entries.delete(key), retainMs).unref();
        });
    },

    /** The stream's events after `afterSeq`, live until it ends or `signal` fires. */
    async *follow(
      streamId: string,
      tenantId: string,
      afterSeq: number,
      signal?: AbortSignal,
    ): AsyncGenerator<HubEvent<T>> {
      const entry = entries.get(keyOf(streamId, tenantId));
      if (!entry) throw new SluiceError("not_found", `stream ${streamId} not found or expired`);
      let next = afterSeq;
      while (!signal?.aborted) {
        while (next < entry.events.length) yield entry.events[next++]!;
        if (entry.done) return;
        await new Promise<void>((resolve) => {
          const wake = () => {
            entry.wake.delete(wake);
            signal?.removeEventListener("abort", wake);
            resolve();
          };
          entry.wake.add(wake);
          signal?.addEventListener("abort", wake, { once: true });
        });
      }
    },
  };
}

/** A stream hub. */
export type StreamHub<T> = ReturnType<typeof createStreamHub<T>>;
