import { describe, expect, it } from "vitest";
import { newJobId } from "./jobIds.ts";

describe("job ids", () => {
  it("are UUIDv7s that sort in the order they were made, even within one millisecond", () => {
    const ids = Array.from({ length: 2_000 }, () => newJobId());
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The leading 48 bits are the creation time in milliseconds.
    const ms = Number.parseInt(ids[0]!.replaceAll("-", "").slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(5_000);
  });
});
