import { type Db, insertLlmCalls, type NewLlmCall } from "@sluice/db";
import { type Clock, scheduleOn, systemClock } from "../limits/clock.ts";

/** Options of the call-log writer. */
export interface CallLogWriterOptions {
  /** Longest time a row waits before it is written (default 100 ms). */
  flushIntervalMs?: number;
  /** Rows per insert (default 500). */
  maxBatch?: number;
  /** Told about rows that could not be written. */
  onError?: (error: unknown, rows: number) => void;
  /** Stamped on every row: the process's budget lease holder id, so its spend can be recovered. */
  holder?: string;
  /** Times `flushIntervalMs` (default the wall clock). */
  clock?: Clock;
}

/** Buffers call-log rows and writes them in batches, off the request's path. */
export interface CallLogWriter {
  record(row: NewLlmCall): void;
  /** Writes everything buffered so far. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

/** Creates a batching writer for `llm_calls`. */
export function createCallLogWriter(db: Db, options: CallLogWriterOptions = {}): CallLogWriter {
  const interval = options.flushIntervalMs ?? 100;
  const maxBatch = options.maxBatch ?? 500;
  let buffer: NewLlmCall[] = [];
  const clock = options.clock ?? systemClock;
  /** Cancels the arranged write, when one is arranged. */
  let cancelTimer: (() => void) | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function writeBatch(rows: NewLlmCall[]): Promise<void> {
    for (let i = 0; i < rows.length; i += maxBatch) {
      const chunk = rows.slice(i, i + maxBatch);
      try {
        await insertLlmCalls(db, chunk);
      } catch (error) {
        options.onError?.(error, chunk.length);
      }
    }
  }

  function flush(): Promise<void> {
    cancelTimer?.();
    cancelTimer = undefined;
    const rows = buffer;
    buffer = [];
    // Writes are chained so rows land in the order they were recorded.
    writing = writing.then(() => (rows.length > 0 ? writeBatch(rows) : undefined));
    return writing;
  }

  return {
    record(row) {
      buffer.push(options.holder ? { ...row, holder: options.holder } : row);
      if (buffer.length >= maxBatch) void flush();
      else if (!cancelTimer) cancelTimer = scheduleOn(clock, () => void flush(), interval);
    },
    flush,
    close: flush,
  };
}
