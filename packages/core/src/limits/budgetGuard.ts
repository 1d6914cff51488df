import { type Db, reserveBudget, settleBudget, type Tenant } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import { formatMicros } from "../models/cost.ts";
import { type Clock, systemClock } from "./clock.ts";

/** A reservation to settle once the real cost is known. */
export interface BudgetReservation {
  settle(actualMicros: number): Promise<void>;
}

const noReservation: BudgetReservation = { settle: async () => {} };

/**
 * Daily budgets in Postgres: before a model call, reserve its maximum possible cost with an atomic
 * conditional update (so concurrent requests in any process never overspend); after it, settle
 * with the real cost.
 */
export function createBudgetGuard(db: Db, clock: Clock = systemClock) {
  return {
    async reserve(tenant: Tenant, maxCostMicros: number): Promise<BudgetReservation> {
      if (tenant.dailyBudgetMicros === null) return noReservation;
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      const amount = Math.max(0, Math.ceil(maxCostMicros));
      const ok = await reserveBudget(db, {
        tenantId: tenant.id,
        day,
        amountMicros: amount,
        budgetMicros: tenant.dailyBudgetMicros,
      });
      if (!ok) {
        throw new SluiceError(
          "budget_exceeded",
          `the daily budget of $${formatMicros(tenant.dailyBudgetMicros)} cannot cover this request (up to $${formatMicros(amount)})`,
          { details: { dailyBudgetMicros: tenant.dailyBudgetMicros, requestMaxMicros: amount, day } },
        );
      }
      let settled = false;
      return {
        settle: async (actualMicros) => {
          if (settled) return;
          settled = true;
          await settleBudget(db, {
            tenantId: tenant.id,
            day,
            reservedMicros: amount,
            spentMicros: Math.max(0, actualMicros),
          });
        },
      };
    },
  };
}

/** A budget guard bound to a database. */
export type BudgetGuard = ReturnType<typeof createBudgetGuard>;
