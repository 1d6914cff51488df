import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/**
 * Counts one request and `tokens` against the tenant's current minute, only while both stay within
 * the limits (null = unlimited). Atomic across processes. Returns false when the request is over.
 */
export async function takeRateLimit(
  db: Db,
  input: {
    tenantId: string;
    windowStart: Date;
    tokens: number;
    maxRequests: number | null;
    maxTokens: number | null;
  },
): Promise<boolean> {
  const maxRequests = input.maxRequests ?? 2_147_483_647;
  const maxTokens = input.maxTokens ?? Number.MAX_SAFE_INTEGER;
  if (input.tokens > maxTokens || maxRequests < 1) return false;
  const { rows } = await sql<{ ok: number }>`
    insert into rate_limit_windows as w (tenant_id, window_start, requests, tokens)
    values (${input.tenantId}, ${input.windowStart}, 1, ${input.tokens})
    on conflict (tenant_id, window_start) do update
      set requests = w.requests + 1, tokens = w.tokens + excluded.tokens
      where w.requests + 1 <= ${maxRequests} and w.tokens + excluded.tokens <= ${maxTokens}
    returning 1 as ok`.execute(db);
  return rows.length === 1;
}

/** Deletes windows older than `before`; returns how many. */
export async function deleteRateLimitWindowsBefore(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom("rateLimitWindows").where("windowStart", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Reserves `amountMicros` of the tenant's budget for `day` when reserved + spent + amount stays within
 * `budgetMicros`. Atomic across processes, so concurrent requests never overspend. Returns success.
 */
export async function reserveBudget(
  db: Db,
  input: { tenantId: string; day: string; amountMicros: number; budgetMicros: number },
): Promise<boolean> {
  if (input.amountMicros > input.budgetMicros) return false;
  const { rows } = await sql<{ ok: number }>`
    insert into tenant_daily_spend as s (tenant_id, day, reserved_micros, spent_micros)
    values (${input.tenantId}, ${input.day}, ${input.amountMicros}, 0)
    on conflict (tenant_id, day) do update
      set reserved_micros = s.reserved_micros + excluded.reserved_micros
      where s.reserved_micros + s.spent_micros + excluded.reserved_micros <= ${input.budgetMicros}
    returning 1 as ok`.execute(db);
  return rows.length === 1;
}

/** Releases a reservation and books what was really spent (which may exceed it only by rounding). */
export async function settleBudget(
  db: Db,
  input: { tenantId: string; day: string; reservedMicros: number; spentMicros: number },
): Promise<void> {
  await sql`
    insert into tenant_daily_spend as s (tenant_id, day, reserved_micros, spent_micros)
    values (${input.tenantId}, ${input.day}, 0, ${input.spentMicros})
    on conflict (tenant_id, day) do update
      set reserved_micros = greatest(0, s.reserved_micros - ${input.reservedMicros}),
          spent_micros = s.spent_micros + ${input.spentMicros}`.execute(db);
}

/** Reserved and spent micro-dollars of a tenant on a day. */
export async function dailySpend(
  db: Db,
  tenantId: string,
  day: string,
): Promise<{ reservedMicros: number; spentMicros: number }> {
  const row = await db
    .selectFrom("tenantDailySpend")
    .select(["reservedMicros", "spentMicros"])
    .where("tenantId", "=", tenantId)
    .where("day", "=", day)
    .executeTakeFirst();
  return row ?? { reservedMicros: 0, spentMicros: 0 };
}
