import { describe, expect, it } from "vitest";
import { createTestClock } from "../testing/testClock.ts";
import { createWriteBatcher } from "./writeBatcher.ts";

interface Item {
  key: string;
  n: number;
}

/** A write function whose calls stay open until the test ends them, one by one. */
function heldWrites() {
  const calls: { items: Item[]; end(): void }[] = [];
  let open = 0;
  let mostOpen = 0;
  const write = (items: Item[]) =>
    new Promise<void>((resolve) => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      calls.push({
        items,
        end() {
          open -= 1;
          resolve();
        },
      });
    });
  return {
    write,
    calls,
    get mostOpen() {
      return mostOpen;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("write batcher", () => {
  it("writes batches of unrelated keys at once, up to its parallelism", async () => {
    const held = heldWrites();
    const batcher = createWriteBatcher(held.write, {
      maxItems: 2,
      maxWaitMs: 1000,
      parallel: 2,
      keyOf: (i) => i.key,
    });
    for (const key of ["a", "b", "c", "d", "e", "f"]) void batcher.add({ key, n: 0 });
    await settle();
    expect(held.calls.map((c) => c.items.map((i) => i.key))).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    held.calls[0]?.end();
    await settle();
    expect(held.calls).toHaveLength(3);
    for (const call of held.calls.slice(1)) call.end();
    await batcher.flush();
    expect(held.mostOpen).toBe(2);
  });

  it("holds a batch back while an earlier batch with one of its keys is being written", async () => {
    const held = heldWrites();
    const batcher = createWriteBatcher(held.write, {
      maxItems: 2,
      maxWaitMs: 1000,
      parallel: 4,
      keyOf: (i) => i.key,
    });
    const written: string[] = [];
    const add = (key: string, n: number) => batcher.add({ key, n }).then(() => written.push(`${key}${n}`));
    void add("a", 1);
    void add("b", 1);
    void add("a", 2);
    void add("c", 1);
    void add("d", 1);
    void add("e", 1);
    await settle();
    // The second batch shares "a" with the first, and the third may not overtake the second.
    expect(held.calls).toHaveLength(1);
    held.calls[0]?.end();
    await settle();
    expect(held.calls.map((c) => c.items.map((i) => `${i.key}${i.n}`))).toEqual([
      ["a1", "b1"],
      ["a2", "c1"],
      ["d1", "e1"],
    ]);
    held.calls[2]?.end();
    held.calls[1]?.end();
    await batcher.flush();
    expect(written.indexOf("a1")).toBeLessThan(written.indexOf("a2"));
  });

  it("writes one batch at a time without a parallelism", async () => {
    const held = heldWrites();
    const batcher = createWriteBatcher(held.write, { maxItems: 1, maxWaitMs: 1000 });
    for (let n = 0; n < 3; n++) void batcher.add({ key: String(n), n });
    await settle();
    expect(held.calls).toHaveLength(1);
    for (let n = 0; n < 3; n++) {
      expect(held.calls).toHaveLength(n + 1);
      held.calls[n]?.end();
      await settle();
    }
    await batcher.flush();
    expect(held.mostOpen).toBe(1);
  });

  it("counts items as pending until their batch is written, and rejects them when it fails", async () => {
    const batcher = createWriteBatcher<Item>(async () => Promise.reject(new Error("down")), {
      maxItems: 10,
      maxWaitMs: 1,
      parallel: 2,
      keyOf: (i) => i.key,
    });
    const added = batcher.add({ key: "a", n: 1 });
    expect(batcher.pending).toBe(1);
    await expect(added).rejects.toThrow("down");
    expect(batcher.pending).toBe(0);
  });

  it("tells a pushed item's caller of a failed write only, and writes it in order with added ones", async () => {
    const written: number[][] = [];
    let fail = true;
    const batcher = createWriteBatcher<number>(
      async (items) => {
        written.push(items);
        if (fail) throw new Error("database unreachable");
      },
      { maxItems: 10, maxWaitMs: 1 },
    );
    const failures: unknown[] = [];
    batcher.push(1, (error) => failures.push(error));
    const added = batcher.add(2);
    await expect(added).rejects.toThrow("database unreachable");
    expect(failures).toHaveLength(1);
    fail = false;
    batcher.push(3, (error) => failures.push(error));
    await batcher.add(4);
    expect(failures).toHaveLength(1);
    expect(written).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(batcher.pending).toBe(0);
  });

  it("tells a waiter when the pending items fall to its bound, as batches finish", async () => {
    const held = heldWrites();
    const batcher = createWriteBatcher(held.write, { maxItems: 2, maxWaitMs: 1, parallel: 2 });
    for (let n = 0; n < 6; n++) void batcher.add({ key: `k${n}`, n });
    await settle();
    expect(batcher.pending).toBe(6);
    let atFour = false;
    let atZero = false;
    void batcher.whenPendingAtMost(4).then(() => {
      atFour = true;
    });
    void batcher.whenPendingAtMost(0).then(() => {
      atZero = true;
    });
    await batcher.whenPendingAtMost(6);
    held.calls[0]?.end();
    await settle();
    expect([atFour, atZero]).toEqual([true, false]);
    for (let i = 1; i < 3; i++) {
      await settle();
      held.calls[i]?.end();
    }
    await settle();
    expect(atZero).toBe(true);
    expect(batcher.pending).toBe(0);
  });

  it("writes a part batch once maxWaitMs passes on its clock, and not before", async () => {
    const clock = createTestClock();
    const written: number[][] = [];
    const batcher = createWriteBatcher<number>(
      async (items) => {
        written.push(items);
      },
      { maxItems: 10, maxWaitMs: 5_000, clock },
    );
    const added = batcher.add(1);
    void batcher.add(2);
    clock.advance(4_999);
    await settle();
    expect(written).toEqual([]);
    clock.advance(1);
    await added;
    expect(written).toEqual([[1, 2]]);
    expect(clock.pendingTimers).toBe(0);
  });
});
