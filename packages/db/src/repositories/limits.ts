import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** What a lease asks of a minute window: at least `need*`, up to `want*`. */
export interface WindowLeaseRequest {
  windowStart: Date;
  needRequests: number;
  needTokens: number;
  wantRequests: number;
  wantTokens: number;
  /** null = unlimited. */
  maxRequests: number | null;
  maxTokens: number | null;
}

/** What a lease asks of a tenant's minute window. */
export interface RateLeaseRequest extends WindowLeaseRequest {
  tenantId: string;
}

/** Whose minute windows a lease counts in: a tenant's (`rate_limit_windows`) or a key's. */
export interface RateWindows {
  table: "rate_limit_windows" | "api_key_rate_windows";
  owner: "tenant_id" | "api_key_id";
  id: string;
}

const UNLIMITED_REQUESTS = 2_147_483_647;

/**
 * Leases part of a minute window: grants as much as wanted, up to what the limits leave, provided
 * the need fits; returns null when it does not. Granted amounts are counted at once, so the sum of
 * every process's leases never exceeds the limits. One row lock, held for two statements.
 */
export async function leaseRateWindow(
  db: Db,
  windows: RateWindows,
  input: WindowLeaseRequest,
): Promise<{ requests: number; tokens: number } | null> {
  const maxRequests = input.maxRequests ?? UNLIMITED_REQUESTS;
  const maxTokens = input.maxTokens ?? Number.MAX_SAFE_INTEGER;
  if (input.needRequests > maxRequests || input.needTokens > maxTokens) return null;
  const table = sql.table(windows.table);
  const owner = sql.ref(windows.owner);
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ requests: number; tokens: number | string }>`
      insert into ${table} as w (${owner}, window_start, requests, tokens)
      values (${windows.id}, ${input.windowStart}, 0, 0)
      on conflict (${owner}, window_start) do update set requests = w.requests
      returning requests, tokens`.execute(tx);
    const used = rows[0] ?? { requests: 0, tokens: 0 };
    const freeRequests = maxRequests - used.requests;
    const freeTokens = maxTokens - Number(used.tokens);
    if (freeRequests < input.needRequests || freeTokens < input.needTokens) return null;
    const grant = {
      requests: Math.max(input.needRequests, Math.min(input.wantRequests, freeRequests)),
      tokens: Math.max(input.needTokens, Math.min(input.wantTokens, freeTokens)),
    };
    await sql`
      update ${table}
        set requests = requests + ${grant.requests}, tokens = tokens + ${grant.tokens}
        where ${owner} = ${windows.id} and window_start = ${input.windowStart}`.execute(tx);
    return grant;
  });
}

/** Gives back the unused part of a lease of a minute window. */
export async function releaseRateWindow(
  db: Db,
  windows: RateWindows,
  input: { windowStart: Date; requests: number; tokens: number },
): Promise<void> {
  await sql`
    update ${sql.table(windows.table)}
      set requests = greatest(0, requests - ${input.requests}), tokens = greatest(0, tokens - ${input.tokens})
      where ${sql.ref(windows.owner)} = ${windows.id} and window_start = ${input.windowStart}`.execute(db);
}

const tenantWindows = (tenantId: string): RateWindows => ({
  table: "rate_limit_windows",
  owner: "tenant_id",
  id: tenantId,
});

/** Leases part of a tenant's minute window (see `leaseRateWindow`). */
export function leaseRateLimit(
  db: Db,
  input: RateLeaseRequest,
): Promise<{ requests: number; tokens: number } | null> {
  return leaseRateWindow(db, tenantWindows(input.tenantId), input);
}

/** Gives back the unused part of a tenant's rate lease. */
export function releaseRateLimit(
  db: Db,
  input: { tenantId: string; windowStart: Date; requests: number; tokens: number },
): Promise<void> {
  return releaseRateWindow(db, tenantWindows(input.tenantId), input);
}

/** Deletes windows older than `before`; returns how many. */
export async function deleteRateLimitWindowsBefore(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom("rateLimitWindows").where("windowStart", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
