import { InvalidArgumentError } from "commander";

/** A whole number ≥ 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of 1 or more");
  return n;
}

/** `none`: no limit. (Commander turns a parser's null into an empty string, so it is a word here.) */
export const UNLIMITED = "none";

/** A limit: a whole number ≥ 1, or `none`. */
export function limitValue(value: string): number | typeof UNLIMITED {
  if (value === UNLIMITED) return UNLIMITED;
  return positiveInt(value);
}

/** Dollars as micro-dollars, or `none`. */
export function dollars(value: string): number | typeof UNLIMITED {
  if (value === UNLIMITED) return UNLIMITED;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("must be an amount in dollars, like 12.50, or none");
  return Math.round(n * 1_000_000);
}

/** A share of a budget, 0 < share ≤ 1 (`0.8` or `80%`), or `none`. */
export function shareValue(value: string): number | typeof UNLIMITED {
  if (value === UNLIMITED) return UNLIMITED;
  const n = value.endsWith("%") ? Number(value.slice(0, -1)) / 100 : Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1)
    throw new InvalidArgumentError("must be a share above 0 and at most 1, like 0.8 or 80%, or none");
  return n;
}

/** A date or time (ISO 8601). */
export function dateValue(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidArgumentError("must be a date or time, like 2026-12-01 or 2026-12-01T10:00:00Z");
  return d;
}

/** A JSON value. */
export function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError("must be JSON");
  }
}

/** Money for people. */
export function usd(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return "unlimited";
  return `$${(micros / 1_000_000).toFixed(micros < 10_000 ? 6 : 2)}`;
}
