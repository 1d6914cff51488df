import { describe, expect, it } from "vitest";
import { sleepOn } from "../limits/clock.ts";
import { createTestClock } from "./testClock.ts";

describe("test clock", () => {
  it("fires due timers in time order as it advances, at their own time", () => {
    const clock = createTestClock(1_000);
    const fired: string[] = [];
    clock.schedule(() => fired.push(`b@${clock.now()}`), 200);
    clock.schedule(() => fired.push(`a@${clock.now()}`), 100);
    clock.schedule(() => fired.push(`c@${clock.now()}`), 500);
    clock.advance(200);
    expect(fired).toEqual(["a@1100", "b@1200"]);
    expect(clock.now()).toBe(1_200);
    expect(clock.pendingTimers).toBe(1);
  });

  it("fires a timer scheduled by a firing timer when it falls due within the same move", () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    clock.schedule(() => {
      fired.push(clock.now());
      clock.schedule(() => fired.push(clock.now()), 50);
    }, 50);
    clock.advance(120);
    expect(fired).toEqual([50, 100]);
    expect(clock.now()).toBe(120);
  });

  it("never fires a cancelled timer", () => {
    const clock = createTestClock(0);
    let fired = false;
    const cancel = clock.schedule(() => {
      fired = true;
    }, 10);
    cancel();
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it("sets a date forward (firing timers) or back (firing none)", () => {
    const clock = createTestClock(new Date("2026-11-24T09:00:00Z"));
    let fired = 0;
    clock.schedule(() => fired++, 60_000);
    clock.set(new Date("2026-11-24T08:00:00Z"));
    expect(fired).toBe(0);
    clock.set(new Date("2026-11-24T10:00:00Z"));
    expect(fired).toBe(1);
    expect(new Date(clock.now()).toISOString()).toBe("2026-11-24T10:00:00.000Z");
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it("ends a sleep on the clock when it advances, or when its signal aborts", async () => {
    const clock = createTestClock(0);
    let woke = false;
    const sleeping = sleepOn(clock, 1_000).then(() => {
      woke = true;
    });
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);

    const abort = new AbortController();
    const aborted = sleepOn(clock, 1_000, abort.signal);
    abort.abort(new Error("stopped"));
    await expect(aborted).rejects.toThrow("stopped");
    expect(clock.pendingTimers).toBe(0);
  });
});
