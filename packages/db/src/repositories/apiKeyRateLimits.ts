import type { Db } from "../createDb.ts";
import { leaseRateWindow, type RateWindows, releaseRateWindow, type WindowLeaseRequest } from "./limits.ts";

/** What a lease asks of a key's minute window: at least `need*`, up to `want*`. */
export interface KeyRateLeaseRequest extends WindowLeaseRequest {
  apiKeyId: string;
}

const keyWindows = (apiKeyId: string): RateWindows => ({
  table: "api_key_rate_windows",
  owner: "api_key_id",
  id: apiKeyId,
});

/**
 * Leases part of a key's minute window, as `leaseRateLimit` does a tenant's: as much as wanted up to
 * what the key's limits leave, provided the need fits; null when it does not. One row lock.
 */
export function leaseKeyRateLimit(
  db: Db,
  input: KeyRateLeaseRequest,
): Promise<{ requests: number; tokens: number } | null> {
  return leaseRateWindow(db, keyWindows(input.apiKeyId), input);
}

/** Gives back the unused part of a key's rate lease. */
export function releaseKeyRateLimit(
  db: Db,
  input: { apiKeyId: string; windowStart: Date; requests: number; tokens: number },
): Promise<void> {
  return releaseRateWindow(db, keyWindows(input.apiKeyId), input);
}

/** Deletes key windows older than `before`; returns how many. */
export async function deleteKeyRateWindowsBefore(db: Db, before: Date): Promise<number> {
  const result = await db
    .deleteFrom("apiKeyRateWindows")
    .where("windowStart", "<", before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
