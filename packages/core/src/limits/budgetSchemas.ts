import { z } from "zod";

/** A budget in micro-dollars; null clears it (no limit), absent leaves it as it is. */
const budgetMicros = z.int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional();

/** A tenant's budgets besides its daily one, and the share of each at which a soft alert goes out. */
export const tenantBudgetShape = {
  /** Per UTC calendar month; with a daily budget too, the tighter one refuses first. */
  monthlyBudgetMicros: budgetMicros,
  /** The budget of each end user of the tenant (named by `user`, `X-Sluice-User` or `metadata.user_id`) per UTC day. */
  endUserDailyBudgetMicros: budgetMicros,
  /** Share of every budget (0 < share ≤ 1) at which a soft alert goes out once per period. */
  budgetAlertShare: z.number().gt(0).max(1).nullable().optional(),
};

/** A key's own budgets, on top of its tenant's. */
export const keyBudgetShape = {
  dailyBudgetMicros: budgetMicros,
  monthlyBudgetMicros: budgetMicros,
};
