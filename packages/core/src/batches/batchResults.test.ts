import { describe, expect, it } from "vitest";
import { isRetriableBatchError } from "./batchResults.ts";

describe("isRetriableBatchError", () => {
  it("retries rate limits, timeouts and server errors, never bad requests or unreadable lines", () => {
    const verdicts = [400, 401, 404, 408, 422, 429, 500, 503, 529, null].map((httpStatus) => [
      httpStatus,
      isRetriableBatchError({ httpStatus }),
    ]);
    expect(verdicts).toEqual([
      [400, false],
      [401, false],
      [404, false],
      [408, true],
      [422, false],
      [429, true],
      [500, true],
      [503, true],
      [529, true],
      [null, false],
    ]);
  });
});
