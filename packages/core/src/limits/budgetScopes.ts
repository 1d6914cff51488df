import type { BudgetScopeName } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import { formatMicros } from "../models/cost.ts";
import type { SpendPrincipal } from "./spendPrincipal.ts";

/** One budget a call counts against, in the period the call falls in. */
export interface ScopedBudget {
  scope: BudgetScopeName;
  tenantId: string;
  /** '' for the tenant's budgets, the key's id, or the end user. */
  subject: string;
  /** The period's first day, `YYYY-MM-DD`. */
  period: string;
  budgetMicros: number;
  /** Period spend at which the soft alert goes out; null when the tenant set no alert share. */
  alertAtMicros: number | null;
}

/** How each budget is named to people, in refusals, alerts and logs. */
export const budgetLabels: Record<BudgetScopeName, string> = {
  tenant_day: "tenant daily",
  tenant_month: "tenant monthly",
  key_day: "API key daily",
  key_month: "API key monthly",
  user_day: "end-user daily",
};

/**
 * Every budget with a limit that a call of `principal` at `epochMs` counts against, narrowest first
 * (end user, key, then tenant) so that a key or user over its budget is refused before the tenant's
 * shared slices are touched.
 */
export function budgetsOf(principal: SpendPrincipal, epochMs: number): ScopedBudget[] {
  const { tenant, apiKey, endUser } = principal;
  const day = dayOf(epochMs);
  const month = `${day.slice(0, 8)}01`;
  const share = tenant.budgetAlertShare;
  const budgets: ScopedBudget[] = [];
  const add = (scope: BudgetScopeName, subject: string, period: string, limit: number | null | undefined) => {
    if (limit === null || limit === undefined) return;
    const alertAtMicros = share === null || limit === 0 ? null : Math.max(1, Math.ceil(limit * share));
    budgets.push({ scope, tenantId: tenant.id, subject, period, budgetMicros: limit, alertAtMicros });
  };
  if (endUser !== undefined) add("user_day", endUser, day, tenant.endUserDailyBudgetMicros);
  if (apiKey) {
    add("key_day", apiKey.id, day, apiKey.dailyBudgetMicros);
    add("key_month", apiKey.id, month, apiKey.monthlyBudgetMicros);
  }
  add("tenant_day", "", day, tenant.dailyBudgetMicros);
  add("tenant_month", "", month, tenant.monthlyBudgetMicros);
  return budgets;
}

/** The key of one budget's period, for maps of leases. */
export function budgetKey(b: Pick<ScopedBudget, "scope" | "tenantId" | "subject" | "period">): string {
  return `${b.scope}|${b.tenantId}|${b.subject}|${b.period}`;
}

/** Whether a budget's period is still the current one at `epochMs`. */
export function isCurrentPeriod(b: Pick<ScopedBudget, "scope" | "period">, epochMs: number): boolean {
  const day = dayOf(epochMs);
  return b.scope.endsWith("_month") ? b.period === `${day.slice(0, 8)}01` : b.period === day;
}

const DAY_MS = 86_400_000;
let cachedDay = { start: 0, end: 0, day: "" };

/** The UTC day of a time, as `YYYY-MM-DD` (remembered for the current day: it is asked per request). */
export function dayOf(epochMs: number): string {
  if (epochMs >= cachedDay.start && epochMs < cachedDay.end) return cachedDay.day;
  const start = Math.floor(epochMs / DAY_MS) * DAY_MS;
  cachedDay = { start, end: start + DAY_MS, day: new Date(start).toISOString().slice(0, 10) };
  return cachedDay.day;
}

/** The `budget_exceeded` refusal naming the budget that cannot cover a call. */
export function budgetExceeded(b: ScopedBudget, amount: number): SluiceError {
  const label = budgetLabels[b.scope];
  const whose = b.scope.startsWith("key_")
    ? ` of key ${b.subject}`
    : b.scope === "user_day"
      ? ` of end user "${b.subject}"`
      : "";
  return new SluiceError(
    "budget_exceeded",
    `the ${label} budget${whose} of $${formatMicros(b.budgetMicros)} cannot cover this request (up to $${formatMicros(amount)})`,
    {
      details: {
        budget: b.scope,
        budgetMicros: b.budgetMicros,
        requestMaxMicros: amount,
        period: b.period,
        ...(b.scope === "tenant_day" ? { dailyBudgetMicros: b.budgetMicros, day: b.period } : {}),
        ...(b.scope === "tenant_month" ? { monthlyBudgetMicros: b.budgetMicros } : {}),
        ...(b.scope.startsWith("key_") ? { apiKeyId: b.subject } : {}),
        ...(b.scope === "user_day" ? { endUser: b.subject } : {}),
      },
    },
  );
}
