import type { ColumnType, Generated } from "kysely";

// The tables of rate limits and budgets: minute windows, spend per period, leases and alerts.

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/** `api_key_rate_windows`: requests and tokens per key per one-minute window. */
export interface ApiKeyRateWindowsTable {
  apiKeyId: string;
  windowStart: Date;
  requests: number;
  tokens: number;
}

/** `rate_limit_windows`: requests and tokens per tenant per one-minute window. */
export interface RateLimitWindowsTable {
  tenantId: string;
  windowStart: Date;
  requests: number;
  tokens: number;
}

/** `tenant_daily_spend`: reserved (in flight) and settled spend per tenant per UTC day. */
export interface TenantDailySpendTable {
  tenantId: string;
  day: string;
  reservedMicros: number;
  spentMicros: number;
}

/**
 * `budget_leases`: one process's slice of a tenant's daily budget. `reservedMicros` is also counted in
 * `tenant_daily_spend.reservedMicros`; `spentMicros` is what this holder has written as spent.
 */
export interface BudgetLeasesTable {
  tenantId: string;
  day: string;
  holder: string;
  reservedMicros: Generated<number>;
  spentMicros: Generated<number>;
  createdAt: CreatedAt;
  expiresAt: Date;
}

/** A budget other than a tenant's day: a tenant's month, a key's day or month, an end user's day. */
export type BudgetScopeKind = "tenant_month" | "key_day" | "key_month" | "user_day";

/** `budget_spend`: reserved and settled spend of one budget scope in one period (like tenant_daily_spend). */
export interface BudgetSpendTable {
  tenantId: string;
  scope: BudgetScopeKind;
  /** '' for the tenant itself, the key's id, or the end user's name. */
  subject: string;
  /** The period's first day (`YYYY-MM-DD`). */
  period: string;
  reservedMicros: Generated<number>;
  spentMicros: Generated<number>;
}

/** `budget_scope_leases`: one process's slice of a `budget_spend` period (like budget_leases). */
export interface BudgetScopeLeasesTable {
  tenantId: string;
  scope: BudgetScopeKind;
  subject: string;
  period: string;
  holder: string;
  reservedMicros: Generated<number>;
  spentMicros: Generated<number>;
  createdAt: CreatedAt;
  expiresAt: Date;
}

/** `budget_alerts`: budgets whose period spend crossed the tenant's alert share (one row, one alert). */
export interface BudgetAlertsTable {
  tenantId: string;
  scope: "tenant_day" | BudgetScopeKind;
  subject: string;
  period: string;
  budgetMicros: number;
  spentMicros: number;
  createdAt: CreatedAt;
}
