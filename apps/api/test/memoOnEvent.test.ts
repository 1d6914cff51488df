import type { JobEvent } from "@sluice/db";
import { describe, expect, it } from "vitest";
import { memoOnEvent } from "../src/streams/followJob.ts";

const event = (id: number): JobEvent => ({
  id,
  jobId: "0193a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
  tenantId: "0193a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7c",
  type: "progress",
  data: { progress: id },
  createdAt: new Date(id),
});

describe("memoOnEvent", () => {
  it("derives once per event object, however many subscribers ask, and keeps events apart", () => {
    let derived = 0;
    const frameOf = memoOnEvent((e) => {
      derived++;
      return `frame ${e.id}`;
    });
    const first = event(1);
    const second = event(2);
    expect([frameOf(first), frameOf(first), frameOf(second), frameOf(first)]).toEqual([
      "frame 1",
      "frame 1",
      "frame 2",
      "frame 1",
    ]);
    expect(derived).toBe(2);
    // Two memos on one event do not share their room, and neither shows in the event.
    const other = memoOnEvent((e) => e.id * 10);
    expect(other(first)).toBe(10);
    expect(Object.keys(first)).toEqual(["id", "jobId", "tenantId", "type", "data", "createdAt"]);
    expect(JSON.parse(JSON.stringify(first)).data).toEqual({ progress: 1 });
  });
});
