import { describe, expect, it } from "vitest";
import { errorCodes, isSluiceError, SluiceError } from "./sluiceError.ts";

describe("SluiceError", () => {
  it("maps each code to one HTTP status and tRPC code", () => {
    const budget = new SluiceError("budget_exceeded", "daily budget spent");
    expect([budget.httpStatus, budget.trpcCode, budget.retriable]).toEqual([402, "PAYMENT_REQUIRED", false]);
    const rate = new SluiceError("rate_limit_exceeded", "slow down", { retryAfterMs: 2000 });
    expect([rate.httpStatus, rate.trpcCode, rate.retriable, rate.retryAfterMs]).toEqual([
      429,
      "TOO_MANY_REQUESTS",
      true,
      2000,
    ]);
    expect(new SluiceError("timeout", "slow model").httpStatus).toBe(504);
  });

  it("covers exactly the documented codes", () => {
    expect(Object.keys(errorCodes).sort()).toEqual(
      [
        "budget_exceeded",
        "conflict",
        "content_filtered",
        "context_length_exceeded",
        "forbidden",
        "internal_error",
        "model_error",
        "not_found",
        "rate_limit_exceeded",
        "service_unavailable",
        "timeout",
        "unauthorized",
        "validation_error",
      ].sort(),
    );
  });

  it("is recognised by code and keeps its cause", () => {
    const cause = new Error("socket hang up");
    const error = new SluiceError("service_unavailable", "provider down", { cause, details: { model: "x" } });
    expect(isSluiceError(error)).toBe(true);
    expect(isSluiceError(error, "service_unavailable")).toBe(true);
    expect(isSluiceError(error, "timeout")).toBe(false);
    expect(isSluiceError(new Error("plain"))).toBe(false);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ model: "x" });
  });
});
