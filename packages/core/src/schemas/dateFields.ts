import { z } from "zod";

// Dates reach Postgres both as values and as ISO strings (pg-boss `startAfter`): four-digit years
// are what both take, and all any schedule or filter needs.
const EARLIEST = new Date("0001-01-01T00:00:00.000Z");
const LATEST = new Date("9999-12-31T23:59:59.999Z");

/** A date (ISO string, epoch milliseconds or Date) in years 1 to 9999, which Postgres stores and compares. */
export function storableDate() {
  return z.coerce
    .date()
    .min(EARLIEST, "must be a date in the years 1 to 9999")
    .max(LATEST, "must be a date in the years 1 to 9999");
}
