import { BATCH_STATUSES } from "@sluice/db";
import { describe, expect, it } from "vitest";
import { openAiBatchStatus } from "./openaiBatchObject.ts";

describe("openAiBatchStatus", () => {
  it("names every Sluice status as OpenAI does", () => {
    const named = Object.fromEntries(BATCH_STATUSES.map((s) => [s, openAiBatchStatus(s, 0)]));
    expect(named).toEqual({
      draft: "validating",
      validating: "validating",
      submitted: "validating",
      in_progress: "in_progress",
      finalizing: "finalizing",
      completed: "completed",
      failed: "failed",
      expired: "expired",
      cancelling: "cancelling",
      cancelled: "cancelled",
    });
  });

  it("reads a submit between cascade tiers or before a retry round as running", () => {
    expect(openAiBatchStatus("submitted", 1)).toBe("in_progress");
    expect(openAiBatchStatus("submitted", 0, true)).toBe("in_progress");
  });
});
