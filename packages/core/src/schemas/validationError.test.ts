import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";
import {
  issuesOf,
  parseOrThrow,
  readableIssueMessage,
  validationErrorFrom,
  withoutNullFields,
} from "./validationError.ts";

// A job payload, as other parts of Sluice validate them.
const payload = z.strictObject({
  ticketIds: z.array(z.uuid()).min(1).max(3),
  priority: z.enum(["high", "default", "low"]),
  attempts: z.int().min(1).max(5).optional(),
  label: z.string().min(1).optional(),
});

function thrown(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("expected a SluiceError");
}

describe("parseOrThrow", () => {
  it("returns parsed data", () => {
    const value = { ticketIds: ["2b9a3c9e-1c1e-4d3e-9c1a-0e6e5f1b2a3c"], priority: "low" };
    expect(parseOrThrow(payload, value, "job payload")).toEqual(value);
  });

  it("throws one validation_error with readable messages for any schema", () => {
    const error = thrown(() =>
      parseOrThrow(
        payload,
        { ticketIds: [], priority: "urgent", attempts: 9.5, label: "", x: 1 },
        "job payload",
      ),
    );
    expect(error.code).toBe("validation_error");
    expect(error.message).toBe(
      "Invalid job payload: ticketIds: must have at least 1 item, and 4 more issues (see details.issues).",
    );
    expect(error.details).toEqual({
      issues: [
        { path: "ticketIds", message: "must have at least 1 item" },
        { path: "priority", message: 'must be one of "high", "default", "low"' },
        { path: "attempts", message: "must be an integer, not a number" },
        { path: "label", message: "must not be empty" },
        { path: "x", message: "is not a known field" },
      ],
    });
  });

  it("names the whole value when the value itself is wrong", () => {
    const error = thrown(() => parseOrThrow(payload, null, "job payload"));
    expect(error.message).toBe("Invalid job payload: the job payload: must be an object, not null.");
    expect(error.details).toEqual({ issues: [{ path: "(root)", message: "must be an object, not null" }] });
  });
});

describe("validationErrorFrom", () => {
  it("turns a ZodError from any parse into dotted-path issues", () => {
    const result = z.object({ a: z.array(z.object({ b: z.number() })) }).safeParse({ a: [{ b: "x" }] });
    if (result.success) throw new Error("expected failure");
    const error = validationErrorFrom(result.error, "thing");
    expect(error).toBeInstanceOf(SluiceError);
    expect(issuesOf(result.error)).toEqual([{ path: "a.0.b", message: expect.any(String) }]);
    expect(error.details?.issues).toEqual(issuesOf(result.error));
  });

  it("keeps messages a schema sets over the readable defaults", () => {
    const schema = z.string().min(3, "needs three letters");
    const result = schema.safeParse("ab", { error: readableIssueMessage });
    if (result.success) throw new Error("expected failure");
    expect(issuesOf(result.error)).toEqual([{ path: "(root)", message: "needs three letters" }]);
  });
});

describe("withoutNullFields", () => {
  it("drops top-level nulls only, and leaves non-objects alone", () => {
    expect(withoutNullFields({ a: null, b: { c: null }, d: 0 })).toEqual({ b: { c: null }, d: 0 });
    expect(withoutNullFields([null])).toEqual([null]);
    expect(withoutNullFields(null)).toBeNull();
  });
});
