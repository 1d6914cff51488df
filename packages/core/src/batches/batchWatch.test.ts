import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createTestClock } from "../testing/testClock.ts";
import { watchBatch } from "./batchWatch.ts";
import type { PublicBatch } from "./publicBatch.ts";

const scope = { tenantId: "t" };

/** A batch whose reads return `states` one after another (the last one repeats). */
function readsOf(states: Partial<PublicBatch>[]) {
  let i = 0;
  const base = { id: "b", status: "submitted", tier: 0, counts: {}, atProvider: {}, costMicros: 0 };
  return {
    reads: () => i,
    get: async () => ({ ...base, ...states[Math.min(i++, states.length - 1)] }) as PublicBatch,
  };
}

/** Reads the watcher's next batch while the clock moves one poll at a time. */
async function nextWith(clock: ReturnType<typeof createTestClock>, it: AsyncGenerator<PublicBatch>) {
  const next = it.next();
  for (let i = 0; i < 20 && clock.pendingTimers === 0; i++) await Promise.resolve();
  while (clock.pendingTimers > 0) {
    clock.advance(500);
    const settled = await Promise.race([next.then(() => true), Promise.resolve(false)]);
    if (settled) break;
    for (let i = 0; i < 20 && clock.pendingTimers === 0; i++) await Promise.resolve();
  }
  return next;
}

describe("watchBatch", () => {
  it("yields the batch, then only its changes, and ends once it is final", async () => {
    const clock = createTestClock();
    const source = readsOf([
      { status: "submitted" },
      { status: "submitted" },
      { status: "in_progress" },
      { status: "in_progress", costMicros: 5 },
      { status: "completed", costMicros: 9 },
    ]);
    const seen: string[] = [];
    const watcher = watchBatch(source, scope, "b", { signal: new AbortController().signal, clock });
    for (let r = await nextWith(clock, watcher); !r.done; r = await nextWith(clock, watcher)) {
      seen.push(`${r.value.status}:${r.value.costMicros}`);
    }
    expect(seen).toEqual(["submitted:0", "in_progress:0", "in_progress:5", "completed:9"]);
    expect(source.reads()).toBe(5);
  });

  it("ends without another read when its signal aborts while it waits", async () => {
    const clock = createTestClock();
    const source = readsOf([{ status: "in_progress" }]);
    const controller = new AbortController();
    const watcher = watchBatch(source, scope, "b", { signal: controller.signal, clock });
    expect((await watcher.next()).value?.status).toBe("in_progress");
    const next = watcher.next();
    controller.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(source.reads()).toBe(1);
  });

  it("throws the service's not_found before yielding anything", async () => {
    const missing = {
      get: async () => {
        throw new SluiceError("not_found", "batch b not found");
      },
    };
    const watcher = watchBatch(missing, scope, "b", { signal: new AbortController().signal });
    await expect(watcher.next()).rejects.toMatchObject({ code: "not_found" });
  });
});
