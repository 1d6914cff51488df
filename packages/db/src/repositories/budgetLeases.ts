import { type RawBuilder, sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { BudgetScopeKind } from "../schema.ts";

/** Every budget Sluice keeps: a tenant's day and month, a key's day and month, an end user's day. */
export type BudgetScopeName = "tenant_day" | BudgetScopeKind;

/** Who asks for budget: the process's holder id and how long its slices live without renewal. */
export interface BudgetHolder {
  tenantId: string;
  /** The period's first day, `YYYY-MM-DD` (the day itself for daily budgets). */
  day: string;
  /** Which budget (default `tenant_day`, kept in `tenant_daily_spend`). */
  scope?: BudgetScopeName | undefined;
  /** The key's id for key budgets, the end user for end-user budgets ('' for the tenant's). */
  subject?: string | undefined;
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

/** Where one budget's period lives: its spend row, its lease rows and the calls that count against it. */
interface Ledger {
  spend: RawBuilder<unknown>;
  leases: RawBuilder<unknown>;
  /** The key columns of the period's rows, with their values. */
  key: [column: string, value: string][];
  /** Which call-log rows (`c`) this budget pays for, to recover a dead holder's unwritten spend. */
  calls: RawBuilder<unknown>;
}

/** A tenant's day keeps its historical tables; every other budget shares `budget_spend`. */
function ledgerOf(input: {
  tenantId: string;
  day: string;
  scope?: BudgetScopeName | undefined;
  subject?: string | undefined;
}): Ledger {
  const scope = input.scope ?? "tenant_day";
  if (scope === "tenant_day") {
    return {
      spend: sql.table("tenant_daily_spend"),
      leases: sql.table("budget_leases"),
      key: [
        ["tenant_id", input.tenantId],
        ["day", input.day],
      ],
      calls: sql`c.tenant_id = ${input.tenantId}`,
    };
  }
  const subject = input.subject ?? "";
  const calls =
    scope === "key_day" || scope === "key_month"
      ? sql`c.tenant_id = ${input.tenantId} and c.api_key_id = ${subject}::uuid`
      : scope === "user_day"
        ? sql`c.tenant_id = ${input.tenantId} and c.end_user = ${subject}`
        : sql`c.tenant_id = ${input.tenantId}`;
  return {
    spend: sql.table("budget_spend"),
    leases: sql.table("budget_scope_leases"),
    key: [
      ["tenant_id", input.tenantId],
      ["scope", scope],
      ["subject", subject],
      ["period", input.day],
    ],
    calls,
  };
}

const columns = (l: Ledger) => sql.join(l.key.map(([column]) => sql.ref(column)));
const values = (l: Ledger) => sql.join(l.key.map(([, value]) => sql`${value}`));
/** `col = value and …` over the key, columns qualified by `alias` when given. */
const matches = (l: Ledger, alias?: string) =>
  sql.join(
    l.key.map(([column, value]) => sql`${sql.ref(alias ? `${alias}.${column}` : column)} = ${value}`),
    sql` and `,
  );

/**
 * Leases part of a budget's period: grants up to `wantMicros` of what is neither reserved nor spent,
 * provided `needMicros` fits; returns the grant, or null when the budget cannot cover the need.
 * Granted micro-dollars count as reserved at once, so all processes together never overspend. When
 * the need does not fit, the expired slices of other holders are reclaimed first (see
 * {@link reclaimExpiredBudgetLeases}). Locks the period's row, then lease rows, like every writer.
 */
export async function leaseBudget(
  db: Db,
  input: BudgetHolder & { needMicros: number; wantMicros: number; budgetMicros: number },
): Promise<number | null> {
  if (input.needMicros > input.budgetMicros) return null;
  const ledger = ledgerOf(input);
  return db.transaction().execute(async (tx) => {
    const row = await lockPeriod(tx, ledger);
    let free = input.budgetMicros - row.reservedMicros - row.spentMicros;
    if (free < input.needMicros) {
      const reclaimed = await reclaimExpiredBudgetLeases(tx, ledger, input);
      free += reclaimed.reservedMicros - reclaimed.unwrittenMicros;
    }
    if (free < input.needMicros) return null;
    const grant = Math.max(input.needMicros, Math.min(input.wantMicros, free));
    await sql`update ${ledger.spend} set reserved_micros = reserved_micros + ${grant}
      where ${matches(ledger)}`.execute(tx);
    await sql`
      insert into ${ledger.leases} as l (${columns(ledger)}, holder, reserved_micros, expires_at)
      values (${values(ledger)}, ${input.holder}, ${grant}, ${expiry(input)})
      on conflict (${columns(ledger)}, holder) do update
        set reserved_micros = l.reserved_micros + excluded.reserved_micros, expires_at = excluded.expires_at`.execute(
      tx,
    );
    return grant;
  });
}

/**
 * Gives back the expired slices of other holders of a period (processes that died or lost the
 * database for longer than their time to live). What such a holder spent but never wrote is recovered
 * from the call log (its calls this budget pays for since the slice was created, less what it wrote)
 * and booked as spent, so a reclaim never turns real spend into free budget. Call inside the
 * transaction that locked the period's row; returns the reservation given back and the spend booked.
 */
async function reclaimExpiredBudgetLeases(
  tx: Db,
  ledger: Ledger,
  input: { holder: string; clockOffsetMs: number },
): Promise<{ reservedMicros: number; unwrittenMicros: number; holders: number }> {
  const { rows } = await sql<{ reservedMicros: number; unwrittenMicros: number }>`
    with expired as (
      select holder, reserved_micros, spent_micros, created_at from ${ledger.leases}
      where ${matches(ledger)} and holder <> ${input.holder}
        and reserved_micros > 0 and expires_at < ${clockNow(input)}
      for update
    ), recovered as (
      select e.holder, e.reserved_micros, greatest(0, coalesce((
        select sum(c.cost_micros) from llm_calls c
        where c.holder = e.holder and ${ledger.calls} and c.created_at >= e.created_at
      ), 0) - e.spent_micros)::int8 as unwritten_micros
      from expired e
    )
    update ${ledger.leases} l
      set reserved_micros = 0, spent_micros = l.spent_micros + r.unwritten_micros
      from recovered r
      where ${matches(ledger, "l")} and l.holder = r.holder
      returning r.reserved_micros::int8 as reserved_micros, r.unwritten_micros`.execute(tx);
  const reclaimed = {
    reservedMicros: rows.reduce((sum, r) => sum + Number(r.reservedMicros), 0),
    unwrittenMicros: rows.reduce((sum, r) => sum + Number(r.unwrittenMicros), 0),
    holders: rows.length,
  };
  if (reclaimed.holders > 0) {
    await sql`
      update ${ledger.spend}
        set reserved_micros = greatest(0, reserved_micros - ${reclaimed.reservedMicros}),
            spent_micros = spent_micros + ${reclaimed.unwrittenMicros}
        where ${matches(ledger)}`.execute(tx);
  }
  return reclaimed;
}

/**
 * Releases part of a holder's slice and books what was really spent (which may exceed the
 * reservation only by rounding); renews the slice. With zero amounts it only renews. A slice that
 * was reclaimed meanwhile releases nothing twice: the release is capped at what the slice still holds.
 * Returns the period's spend after the write (every holder's), for soft alerts.
 */
export async function settleBudget(
  db: Db,
  input: BudgetHolder & { reservedMicros: number; spentMicros: number },
): Promise<{ spentMicros: number }> {
  const ledger = ledgerOf(input);
  return db.transaction().execute(async (tx) => {
    await lockPeriod(tx, ledger);
    const { rows } = await sql<{ spentMicros: number }>`
      with old as (
        select reserved_micros from ${ledger.leases}
        where ${matches(ledger)} and holder = ${input.holder}
        for update
      ), lease as (
        insert into ${ledger.leases} as l (${columns(ledger)}, holder, reserved_micros, spent_micros, expires_at)
        values (${values(ledger)}, ${input.holder}, 0, ${input.spentMicros}, ${expiry(input)})
        on conflict (${columns(ledger)}, holder) do update
          set reserved_micros = greatest(0, l.reserved_micros - ${input.reservedMicros}),
              spent_micros = l.spent_micros + excluded.spent_micros,
              expires_at = excluded.expires_at
      )
      update ${ledger.spend}
        set reserved_micros = greatest(0, reserved_micros
              - least(${input.reservedMicros}::int8, coalesce((select reserved_micros from old), 0))),
            spent_micros = spent_micros + ${input.spentMicros}
        where ${matches(ledger)}
        returning spent_micros`.execute(tx);
    return { spentMicros: Number(rows[0]?.spentMicros ?? 0) };
  });
}

/**
 * Deletes settled slices of periods over before `day` (`YYYY-MM-DD`): tenants' days before it, and
 * other budgets' days and months that ended by it; returns how many.
 */
export async function deleteBudgetLeasesBefore(db: Db, day: string): Promise<number> {
  const daily = await db
    .deleteFrom("budgetLeases")
    .where("day", "<", day)
    .where("reservedMicros", "=", 0)
    .executeTakeFirst();
  const scoped = await sql`
    delete from budget_scope_leases
      where reserved_micros = 0
        and period + case when scope like '%month' then interval '1 month' else interval '1 day' end
          <= ${day}::date`.execute(db);
  return Number(daily.numDeletedRows) + Number(scoped.numAffectedRows ?? 0);
}

/**
 * Deletes the spend rows and alert marks of key, end-user and tenant-month periods that ended by
 * `day` (`YYYY-MM-DD`) and hold no reservation: nothing reads a period once it is over (spend reports
 * read the call log). A tenant's days in `tenant_daily_spend` are kept. Returns how many rows.
 */
export async function deleteBudgetPeriodsBefore(db: Db, day: string): Promise<number> {
  const ended = sql`period + case when scope like '%month' then interval '1 month' else interval '1 day' end
    <= ${day}::date`;
  const spend = await sql`delete from budget_spend where reserved_micros = 0 and ${ended}`.execute(db);
  const alerts = await sql`delete from budget_alerts where ${ended}`.execute(db);
  return Number(spend.numAffectedRows ?? 0) + Number(alerts.numAffectedRows ?? 0);
}

/** Locks a period's row (creating it), the first lock every budget writer takes. */
async function lockPeriod(tx: Db, ledger: Ledger): Promise<{ reservedMicros: number; spentMicros: number }> {
  const { rows } = await sql<{ reservedMicros: number; spentMicros: number }>`
    insert into ${ledger.spend} as s (${columns(ledger)}, reserved_micros, spent_micros)
    values (${values(ledger)}, 0, 0)
    on conflict (${columns(ledger)}) do update set reserved_micros = s.reserved_micros
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
  return periodSpend(db, { tenantId, day });
}

/** Reserved and spent micro-dollars of one budget in one period (zeros when nothing was asked of it). */
export async function periodSpend(
  db: Db,
  period: {
    tenantId: string;
    day: string;
    scope?: BudgetScopeName | undefined;
    subject?: string | undefined;
  },
): Promise<{ reservedMicros: number; spentMicros: number }> {
  const ledger = ledgerOf(period);
  const { rows } = await sql<{ reservedMicros: number; spentMicros: number }>`
    select reserved_micros, spent_micros from ${ledger.spend} where ${matches(ledger)}`.execute(db);
  return rows[0] ?? { reservedMicros: 0, spentMicros: 0 };
}

/**
 * Records that a budget's period crossed its alert share; true only for the first caller of the
 * period, whatever the number of processes asking.
 */
export async function claimBudgetAlert(
  db: Db,
  input: {
    tenantId: string;
    scope: BudgetScopeName;
    subject: string;
    day: string;
    budgetMicros: number;
    spentMicros: number;
  },
): Promise<boolean> {
  const row = await db
    .insertInto("budgetAlerts")
    .values({
      tenantId: input.tenantId,
      scope: input.scope,
      subject: input.subject,
      period: input.day,
      budgetMicros: input.budgetMicros,
      spentMicros: input.spentMicros,
    })
    .onConflict((oc) => oc.columns(["tenantId", "scope", "subject", "period"]).doNothing())
    .returning("tenantId")
    .executeTakeFirst();
  return row !== undefined;
}
