import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** What a lease asks of a key's minute window: at least `need*`, up to `want*`. */
export interface KeyRateLeaseRequest {
  apiKeyId: string;
  windowStart: Date;
  needRequests: number;
  needTokens: number;
  wantRequests: number;
  wantTokens: number;
  /** null = unlimited. */
  maxRequests: number | null;
  maxTokens: number | null;
}

const UNLIMITED_REQUESTS = 2_147_483_647;

/**
 * Leases part of a key's minute window, as `leaseRateLimit` does a tenant's: as much as wanted up to
 * what the key's limits leave, provided the need fits; null when it does not. One row lock.
 */
export async function leaseKeyRateLimit(
  db: Db,
  input: KeyRateLeaseRequest,
): Promise<{ requests: number; tokens: number } | null> {
  const maxRequests = input.maxRequests ?? UNLIMITED_REQUESTS;
  const maxTokens = input.maxTokens ?? Number.MAX_SAFE_INTEGER;
  if (input.needRequests > maxRequests || input.needTokens > maxTokens) return null;
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ requests: number; tokens: string }>`
      insert into api_key_rate_windows as w (api_key_id, window_start, requests, tokens)
      values (${input.apiKeyId}, ${input.windowStart}, 0, 0)
      on conflict (api_key_id, window_start) do update set requests = w.requests
      returning requests, tokens`.execute(tx);
    const used = rows[0] ?? { requests: 0, tokens: "0" };
    const freeRequests = maxRequests - used.requests;
    const freeTokens = maxTokens - Number(used.tokens);
    if (freeRequests < input.needRequests || freeTokens < input.needTokens) return null;
    const grant = {
      requests: Math.max(input.needRequests, Math.min(input.wantRequests, freeRequests)),
      tokens: Math.max(input.needTokens, Math.min(input.wantTokens, freeTokens)),
    };
    await sql`
      update api_key_rate_windows
        set requests = requests + ${grant.requests}, tokens = tokens + ${grant.tokens}
        where api_key_id = ${input.apiKeyId} and window_start = ${input.windowStart}`.execute(tx);
    return grant;
  });
}

/** Gives back the unused part of a key's rate lease. */
export async function releaseKeyRateLimit(
  db: Db,
  input: { apiKeyId: string; windowStart: Date; requests: number; tokens: number },
): Promise<void> {
  await sql`
    update api_key_rate_windows
      set requests = greatest(0, requests - ${input.requests}), tokens = greatest(0, tokens - ${input.tokens})
      where api_key_id = ${input.apiKeyId} and window_start = ${input.windowStart}`.execute(db);
}

/** Deletes key windows older than `before`; returns how many. */
export async function deleteKeyRateWindowsBefore(db: Db, before: Date): Promise<number> {
  const result = await db
    .deleteFrom("apiKeyRateWindows")
    .where("windowStart", "<", before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
