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

/** Who asks for budget: the process's holder id and how long its slices live without renewal. */
export interface BudgetHolder {
  tenantId: string;
  day: string;
  /** The asking process's lease holder id. */
  holder: string;
  /** A slice expires this long after its last lease, settle or renewal. */
  ttlMs: number;
  /**
   * How far the asking process's clock is from the wall clock (0 on the wall clock). Postgres stamps
   * and judges expiry on its own `now()` moved by this much: one authority for every host whatever
   * their clocks, and a test clock still moves what Postgres sees.
   */
  clockOffsetMs: number;
}

/**
 * Leases part of a tenant's daily budget: grants up to `wantMicros` of what is neither reserved nor
 * spent, provided `needMicros` fits; returns the grant, or null when the budget cannot cover the need.
 * Granted micro-dollars count as reserved at once, so all processes together never overspend. When
 * the need does not fit, the expired slices of other holders are reclaimed first (see
 * {@link reclaimExpiredBudgetLeases}). Locks the tenant's day row, then lease rows, like every writer.
 */
export async function leaseBudget(
  db: Db,
  input: BudgetHolder & { needMicros: number; wantMicros: number; budgetMicros: number },
): Promise<number | null> {
  if (input.needMicros > input.budgetMicros) return null;
  return db.transaction().execute(async (tx) => {
    const row = await lockDailySpend(tx, input);
    let free = input.budgetMicros - row.reservedMicros - row.spentMicros;
    if (free < input.needMicros) {
      const reclaimed = await reclaimExpiredBudgetLeases(tx, input);
      free += reclaimed.reservedMicros - reclaimed.unwrittenMicros;
    }
    if (free < input.needMicros) return null;
    const grant = Math.max(input.needMicros, Math.min(input.wantMicros, free));
    await tx
      .updateTable("tenantDailySpend")
      .set((eb) => ({ reservedMicros: eb("reservedMicros", "+", grant) }))
      .where("tenantId", "=", input.tenantId)
      .where("day", "=", input.day)
      .execute();
    await sql`
      insert into budget_leases as l (tenant_id, day, holder, reserved_micros, expires_at)
      values (${input.tenantId}, ${input.day}, ${input.holder}, ${grant}, ${expiry(input)})
      on conflict (tenant_id, day, holder) do update
        set reserved_micros = l.reserved_micros + excluded.reserved_micros, expires_at = excluded.expires_at`.execute(
      tx,
    );
    return grant;
  });
}

/**
 * Gives back the expired slices of other holders of a tenant's day (processes that died or lost the
 * database for longer than their time to live). What such a holder spent but never wrote is recovered
 * from the call log (its calls since the slice was created, less what it wrote) and booked as spent,
 * so a reclaim never turns real spend into free budget. Call inside the transaction that locked the
 * day row; returns the reservation given back and the spend booked.
 */
async function reclaimExpiredBudgetLeases(
  tx: Db,
  input: { tenantId: string; day: string; holder: string; clockOffsetMs: number },
): Promise<{ reservedMicros: number; unwrittenMicros: number; holders: number }> {
  const { rows } = await sql<{ reservedMicros: number; unwrittenMicros: number }>`
    with expired as (
      select holder, reserved_micros, spent_micros, created_at from budget_leases
      where tenant_id = ${input.tenantId} and day = ${input.day} and holder <> ${input.holder}
        and reserved_micros > 0 and expires_at < ${clockNow(input)}
      for update
    ), recovered as (
      select e.holder, e.reserved_micros, greatest(0, coalesce((
        select sum(c.cost_micros) from llm_calls c
        where c.holder = e.holder and c.tenant_id = ${input.tenantId} and c.created_at >= e.created_at
      ), 0) - e.spent_micros)::int8 as unwritten_micros
      from expired e
    )
    update budget_leases l
      set reserved_micros = 0, spent_micros = l.spent_micros + r.unwritten_micros
      from recovered r
      where l.tenant_id = ${input.tenantId} and l.day = ${input.day} and l.holder = r.holder
      returning r.reserved_micros::int8 as reserved_micros, r.unwritten_micros`.execute(tx);
  const reclaimed = {
    reservedMicros: rows.reduce((sum, r) => sum + Number(r.reservedMicros), 0),
    unwrittenMicros: rows.reduce((sum, r) => sum + Number(r.unwrittenMicros), 0),
    holders: rows.length,
  };
  if (reclaimed.holders > 0) {
    await sql`
      update tenant_daily_spend
        set reserved_micros = greatest(0, reserved_micros - ${reclaimed.reservedMicros}),
            spent_micros = spent_micros + ${reclaimed.unwrittenMicros}
        where tenant_id = ${input.tenantId} and day = ${input.day}`.execute(tx);
  }
  return reclaimed;
}

/**
 * Releases part of a holder's slice and books what was really spent (which may exceed the
 * reservation only by rounding); renews the slice. With zero amounts it only renews. A slice that
 * was reclaimed meanwhile releases nothing twice: the release is capped at what the slice still holds.
 */
export async function settleBudget(
  db: Db,
  input: BudgetHolder & { reservedMicros: number; spentMicros: number },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await lockDailySpend(tx, input);
    await sql`
      with old as (
        select reserved_micros from budget_leases
        where tenant_id = ${input.tenantId} and day = ${input.day} and holder = ${input.holder}
        for update
      ), lease as (
        insert into budget_leases as l (tenant_id, day, holder, reserved_micros, spent_micros, expires_at)
        values (${input.tenantId}, ${input.day}, ${input.holder}, 0, ${input.spentMicros}, ${expiry(input)})
        on conflict (tenant_id, day, holder) do update
          set reserved_micros = greatest(0, l.reserved_micros - ${input.reservedMicros}),
              spent_micros = l.spent_micros + excluded.spent_micros,
              expires_at = excluded.expires_at
      )
      update tenant_daily_spend
        set reserved_micros = greatest(0, reserved_micros
              - least(${input.reservedMicros}::int8, coalesce((select reserved_micros from old), 0))),
            spent_micros = spent_micros + ${input.spentMicros}
        where tenant_id = ${input.tenantId} and day = ${input.day}`.execute(tx);
  });
}

/** Deletes the settled slices of days before `day` (`YYYY-MM-DD`); returns how many. */
export async function deleteBudgetLeasesBefore(db: Db, day: string): Promise<number> {
  const result = await db
    .deleteFrom("budgetLeases")
    .where("day", "<", day)
    .where("reservedMicros", "=", 0)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Locks a tenant's day row (creating it), the first lock every budget writer takes. */
async function lockDailySpend(
  tx: Db,
  input: { tenantId: string; day: string },
): Promise<{ reservedMicros: number; spentMicros: number }> {
  const { rows } = await sql<{ reservedMicros: number; spentMicros: number }>`
    insert into tenant_daily_spend as s (tenant_id, day, reserved_micros, spent_micros)
    values (${input.tenantId}, ${input.day}, 0, 0)
    on conflict (tenant_id, day) do update set reserved_micros = s.reserved_micros
    returning reserved_micros, spent_micros`.execute(tx);
  const row = rows[0];
  return { reservedMicros: Number(row?.reservedMicros ?? 0), spentMicros: Number(row?.spentMicros ?? 0) };
}

/** Postgres's now, moved by the holder's clock offset. */
function clockNow(input: { clockOffsetMs: number }) {
  return sql`(now() + ${`${Math.round(input.clockOffsetMs)} milliseconds`}::interval)`;
}

/** A slice's expiry, `ttlMs` from the holder's now. */
function expiry(input: { ttlMs: number; clockOffsetMs: number }) {
  return sql`${clockNow(input)} + ${`${Math.max(1, Math.round(input.ttlMs))} milliseconds`}::interval`;
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
