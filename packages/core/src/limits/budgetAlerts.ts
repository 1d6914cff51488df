import {
  type BudgetScopeName,
  claimBudgetAlert,
  type Db,
  ensureTenantWebhookSecret,
  findTenantById,
  type JobQueue,
} from "@sluice/db";
import { type JobCatalog, jobPriorities } from "../jobs/jobCatalog.ts";
import { newJobId } from "../jobs/jobIds.ts";
import { enqueueRows } from "../jobs/jobWebhooks.ts";
import { generateWebhookSecret } from "../jobs/webhookSignature.ts";
import { formatMicros } from "../models/cost.ts";
import type { BudgetAlerts } from "./budgetGuard.ts";
import { budgetLabels, type ScopedBudget } from "./budgetScopes.ts";

/** The webhook event of a soft budget alert. */
export const BUDGET_ALERT_EVENT = "budget.alert";

/** A soft alert: a budget's spend in a period reached the tenant's alert share. */
export interface BudgetAlert {
  tenantId: string;
  tenantName: string;
  budget: BudgetScopeName;
  /** How people call the budget ("tenant monthly", "API key daily", …). */
  label: string;
  /** The key's id or the end user, for their budgets (null for the tenant's). */
  subject: string | null;
  /** The period's first day, `YYYY-MM-DD`. */
  period: string;
  budgetMicros: number;
  alertAtMicros: number;
  spentMicros: number;
  /** Whether a `budget.alert` webhook was queued for the tenant's endpoint. */
  webhookQueued: boolean;
}

/** One line for logs: which budget, how much of it is spent. */
export function describeBudgetAlert(alert: BudgetAlert): string {
  const whose = alert.subject === null ? "" : ` (${alert.subject})`;
  return `tenant ${alert.tenantName}: ${alert.label} budget${whose} for ${alert.period} is ${Math.floor(
    (alert.spentMicros / Math.max(1, alert.budgetMicros)) * 100,
  )}% spent ($${formatMicros(alert.spentMicros)} of $${formatMicros(alert.budgetMicros)})`;
}

/**
 * Raises soft budget alerts, once per budget and period whatever the number of processes: the
 * process whose write crossed the share claims the period's `budget_alerts` row and, in the same
 * transaction, queues a signed `budget.alert` webhook to the tenant's endpoint when it has one (the
 * path job events and dead-letter alerts take); then `onAlert` (metric, log) runs in that process.
 */
export function createBudgetAlerter(deps: {
  db: Db;
  /** Where `webhook.deliver` jobs go; without it, alerts are metric and log only. */
  queue?: JobQueue | undefined;
  catalog?: JobCatalog | undefined;
  onAlert: (alert: BudgetAlert) => void;
}): BudgetAlerts {
  async function crossed(budget: ScopedBudget, spentMicros: number): Promise<void> {
    const alertAtMicros = budget.alertAtMicros ?? budget.budgetMicros;
    const alert = await deps.db.transaction().execute(async (tx) => {
      const claimed = await claimBudgetAlert(tx, {
        tenantId: budget.tenantId,
        scope: budget.scope,
        subject: budget.subject,
        day: budget.period,
        budgetMicros: budget.budgetMicros,
        spentMicros,
      });
      if (!claimed) return undefined;
      const tenant = await findTenantById(tx, budget.tenantId);
      const raised: BudgetAlert = {
        tenantId: budget.tenantId,
        tenantName: tenant?.name ?? budget.tenantId,
        budget: budget.scope,
        label: budgetLabels[budget.scope],
        subject: budget.subject === "" ? null : budget.subject,
        period: budget.period,
        budgetMicros: budget.budgetMicros,
        alertAtMicros,
        spentMicros,
        webhookQueued: false,
      };
      const spec = deps.catalog?.get("webhook.deliver");
      if (tenant?.webhookUrl && deps.queue && spec) {
        // Signed with the tenant's secret, as its job events are.
        await ensureTenantWebhookSecret(tx, tenant.id, generateWebhookSecret());
        const { webhookQueued: _, tenantName: __, ...body } = raised;
        await enqueueRows(tx, deps.queue, [
          {
            id: newJobId(),
            tenantId: tenant.id,
            kind: spec.kind,
            queue: spec.kind,
            priority: jobPriorities.high,
            payload: JSON.stringify({
              url: tenant.webhookUrl,
              event: BUDGET_ALERT_EVENT,
              body: { alert: body },
            }),
            maxAttempts: spec.retryLimit + 1,
          },
        ]);
        raised.webhookQueued = true;
      }
      return raised;
    });
    if (alert) deps.onAlert(alert);
  }
  return { crossed };
}
