import { terminalEventTypes } from "@sluice/core";
import { type Db, type JobEvent, listJobEvents } from "@sluice/db";
import type { JobEventHub } from "./jobEventHub.ts";

/**
 * A job's events after `afterId`: its history from the table, then live ones from the hub, each
 * exactly once and in order, ending after a terminal event (or when `signal` fires).
 */
export async function* followJob(
  deps: { db: Db; hub: JobEventHub },
  jobId: string,
  afterId: number,
  signal: AbortSignal,
): AsyncGenerator<JobEvent> {
  const pending: JobEvent[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // A flag rather than `signal.aborted`, read per event: that getter walks a combined signal's sources.
  let stopped = signal.aborted;
  const stop = () => {
    stopped = true;
    notify();
  };
  // Live events are collected from before the replay starts, so none falls between the two.
  const unsubscribe = deps.hub.subscribe(jobId, afterId, (events) => {
    pending.push(...events);
    notify();
  });
  signal.addEventListener("abort", stop, { once: true });
  let last = afterId;
  try {
    for (;;) {
      const page = await listJobEvents(deps.db, jobId, last, 1000);
      for (const event of page) {
        last = event.id;
        yield event;
        if (terminalEventTypes.includes(event.type)) return;
      }
      if (page.length < 1000) break;
    }
    while (!stopped) {
      const event = pending.shift();
      if (!event) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      if (event.id <= last) continue;
      last = event.id;
      yield event;
      if (terminalEventTypes.includes(event.type)) return;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", stop);
  }
}

/**
 * `derive(event)`, computed once per event object and kept on the event itself (a symbol-keyed
 * property): the hub hands one object to every subscriber of a job, so whatever each stream makes
 * of it (its frame, its public form) is made once. A WeakMap keyed by the events did the same at
 * about 10 µs more per event, the garbage collector's work for its short-lived keys.
 */
export function memoOnEvent<T>(derive: (event: JobEvent) => T): (event: JobEvent) => T {
  const slot = Symbol("derived once per event");
  return (event) => {
    const cached = event as JobEvent & { [slot]?: T };
    if (!(slot in cached)) Object.defineProperty(cached, slot, { value: derive(event) });
    return cached[slot] as T;
  };
}
