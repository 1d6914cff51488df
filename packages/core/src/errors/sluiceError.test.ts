import { describe, expect, it } from "vitest";
import { errorCodes, isSluiceError, SluiceError } from "./sluiceError.ts";

describe("SluiceError", () => {
  it("knows each code's default retriability and whether the caller is at fault", () => {
    const budget = new SluiceError("budget_exceeded", "daily budget spent");
    expect([budget.clientFault, budget.retriable]).toEqual([true, false]);
    const rate = new SluiceError("rate_limit_exceeded", "slow down", { retryAfterMs: 2000 });
    expect([rate.clientFault, rate.retriable, rate.retryAfterMs]).toEqual([true, true, 2000]);
    const timeout = new SluiceError("timeout", "slow model");
    expect([timeout.clientFault, timeout.retriable]).toEqual([false, true]);
    expect(new SluiceError("model_error", "gone", { retriable: false }).retriable).toBe(false);
  });

  it("blames the caller for exactly the codes that are not Sluice's or its models' doing", () => {
    const faults = Object.entries(errorCodes).filter(([, facts]) => !facts.clientFault);
    expect(faults.map(([code]) => code).sort()).toEqual(
      ["internal_error", "model_error", "service_unavailable", "timeout"].sort(),
    );
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
        "key_expired",
        "key_rotated",
        "model_error",
        "model_not_allowed",
        "not_found",
        "rate_limit_exceeded",
        "service_unavailable",
        "timeout",
        "unauthorized",
        "unsafe_url",
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
