import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** What a lease asks of a tenant's minute window: at least `need*`, up to `want*`. */
export interface RateLeaseRequest {
  tenantId: string;
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
 * Leases part of a tenant's minute window: grants as much as wanted, up to what the limits leave,
 * provided the need fits; returns null when it does not. Granted amounts are counted at once, so the
 * sum of every process's leases never exceeds the limits. One row lock, held for two statements.
 */
export async function leaseRateLimit(
  db: Db,
  input: RateLeaseRequest,
): Promise<{ requests: number; tokens: number } | null> {
  const maxRequests = input.maxRequests ?? UNLIMITED_REQUESTS;
  const maxTokens = input.maxTokens ?? Number.MAX_SAFE_INTEGER;
  if (input.needRequests > maxRequests || input.needTokens > maxTokens) return null;
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ requests: number; tokens: number }>`
      insert into rate_limit_windows as w (tenant_id, window_start, requests, tokens)
      values (${input.tenantId}, ${input.windowStart}, 0, 0)
      on conflict (tenant_id, window_start) do update set requests = w.requests
      returning requests, tokens`.execute(tx);
    const used = rows[0] ?? { requests: 0, tokens: 0 };
    const freeRequests = maxRequests - used.requests;
    const freeTokens = maxTokens - used.tokens;
    if (freeRequests < input.needRequests || freeTokens < input.needTokens) return null;
    const grant = {
      requests: Math.max(input.needRequests, Math.min(input.wantRequests, freeRequests)),
      tokens: Math.max(input.needTokens, Math.min(input.wantTokens, freeTokens)),
    };
    await tx
      .updateTable("rateLimitWindows")
      .set((eb) => ({
        requests: eb("requests", "+", grant.requests),
        tokens: eb("tokens", "+", grant.tokens),
      }))
      .where("tenantId", "=", input.tenantId)
      .where("windowStart", "=", input.windowStart)
      .execute();
    return grant;
  });
}

/** Gives back the unused part of a rate lease. */
export async function releaseRateLimit(
  db: Db,
  input: { tenantId: string; windowStart: Date; requests: number; tokens: number },
): Promise<void> {
  await sql`
    update rate_limit_windows
      set requests = greatest(0, requests - ${input.requests}), tokens = greatest(0, tokens - ${input.tokens})
      where tenant_id = ${input.tenantId} and window_start = ${input.windowStart}`.execute(db);
}

/** Deletes windows older than `before`; returns how many. */
export async function deleteRateLimitWindowsBefore(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom("rateLimitWindows").where("windowStart", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
