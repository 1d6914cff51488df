import { findTenantById, insertTenant, type JobQueue, setTenantWebhook, startJobQueue } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobCatalog } from "../jobs/jobCatalog.ts";
import { verifyWebhook } from "../jobs/webhookSignature.ts";
import { buildWebhook } from "../jobs/work/webhookBody.ts";
import { createTestClock } from "../testing/testClock.ts";
import { type BudgetAlert, createBudgetAlerter } from "./budgetAlerts.ts";
import { type BudgetReservation, createBudgetGuard } from "./budgetGuard.ts";

const t = useTestDatabase();
const catalog = createJobCatalog();
let queue: JobQueue;

beforeAll(async () => {
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
});
afterAll(async () => {
  await queue.stop({ graceful: false });
});

/** Two processes sharing a tenant's budgets, each raising alerts through its own alerter. */
function twoProcesses(clock: ReturnType<typeof createTestClock>) {
  const raised: { process: number; alert: BudgetAlert }[] = [];
  const processes = [0, 1].map((process) =>
    createBudgetGuard(t.db, {
      clock,
      leaseShare: 0.1,
      alerts: createBudgetAlerter({
        db: t.db,
        queue,
        catalog,
        onAlert: (alert) => raised.push({ process, alert }),
      }),
    }),
  );
  return { processes, raised };
}

const alertJobs = (tenantId: string) =>
  t.db
    .selectFrom("jobs")
    .select(["id", "tenantId", "payload"])
    .where("tenantId", "=", tenantId)
    .where("kind", "=", "webhook.deliver")
    .execute();

describe("soft budget alerts", () => {
  it("fire once per budget and period across two processes, to the tenant's webhook, signed with its secret", async () => {
    const tenant = await insertTenant(t.db, {
      name: "alert-once",
      dailyBudgetMicros: 10_000,
      monthlyBudgetMicros: 1_000_000,
      budgetAlertShare: 0.8,
    });
    await setTenantWebhook(t.db, tenant.id, {
      url: "https://hooks.example.com/sluice",
      secret: "whsec_alerts",
    });
    const clock = createTestClock(new Date("2026-11-24T09:00:00Z"));
    const { processes, raised } = twoProcesses(clock);
    // Spend in small calls from both processes, writing as they go: 7,800 stays under the share.
    const spend = async (calls: number) => {
      for (let i = 0; i < calls; i++) {
        const r: BudgetReservation = await processes[i % 2]!.reserve({ tenant }, 400);
        await r.settle(200);
        await processes[i % 2]!.flush();
      }
    };
    await spend(39);
    expect(raised).toHaveLength(0);
    // Past 8,000 both processes keep writing spend; one of them raises the alert, once.
    await spend(5);
    await Promise.all(processes.map((g) => g.flush()));
    expect(raised).toHaveLength(1);
    expect(raised[0]!.alert).toMatchObject({
      tenantId: tenant.id,
      budget: "tenant_day",
      label: "tenant daily",
      subject: null,
      period: "2026-11-24",
      budgetMicros: 10_000,
      alertAtMicros: 8_000,
      webhookQueued: true,
    });
    expect(raised[0]!.alert.spentMicros).toBeGreaterThanOrEqual(8_000);
    const jobs = await alertJobs(tenant.id);
    expect(jobs).toHaveLength(1);
    const payload = jobs[0]!.payload as {
      url: string;
      event: string;
      body: { alert: Record<string, unknown> };
    };
    expect(payload).toMatchObject({
      url: "https://hooks.example.com/sluice",
      event: "budget.alert",
      body: { alert: { budget: "tenant_day", budgetMicros: 10_000, period: "2026-11-24" } },
    });
    const signed = await buildWebhook(t.db, payload, { id: jobs[0]!.id, attempt: 1, tenantId: tenant.id });
    expect(verifyWebhook("whsec_alerts", signed.headers["sluice-signature"], signed.body)).toBeNull();
    expect(JSON.parse(signed.body)).toMatchObject({ event: "budget.alert", alert: { budget: "tenant_day" } });

    // The next day is a new period: its alert goes out again, once; the month is still far from 80%.
    // (Slices go back first, so moving the clock a day does not run a day of renewals.)
    await Promise.all(processes.map((g) => g.close()));
    clock.advance(86_400_000);
    await spend(41);
    await Promise.all(processes.map((g) => g.close()));
    expect(raised.map((r) => [r.alert.budget, r.alert.period])).toEqual([
      ["tenant_day", "2026-11-24"],
      ["tenant_day", "2026-11-25"],
    ]);
    expect(await alertJobs(tenant.id)).toHaveLength(2);
    expect(
      await t.db.selectFrom("budgetAlerts").selectAll().where("tenantId", "=", tenant.id).execute(),
    ).toHaveLength(2);
  });

  it("fire once when two processes cross the share in the same instant", async () => {
    const tenant = await insertTenant(t.db, {
      name: "alert-race",
      monthlyBudgetMicros: 10_000,
      budgetAlertShare: 0.5,
    });
    const clock = createTestClock(new Date("2026-11-24T09:00:00Z"));
    // Spend from a process that raises no alerts takes the month past its share first.
    const silent = createBudgetGuard(t.db, { clock, leaseShare: 0 });
    await (await silent.reserve({ tenant }, 6_000)).settle(6_000);
    await silent.close();
    const { processes, raised } = twoProcesses(clock);
    const held = await Promise.all(processes.map((g) => g.reserve({ tenant }, 100)));
    await Promise.all(held.map((r) => r.settle(100)));
    // Both writes see the month past 5,000 and both ask; Postgres lets one of them raise it.
    await Promise.all(processes.map((g) => g.flush()));
    await Promise.all(processes.map((g) => g.close()));
    expect(raised.map((r) => [r.alert.budget, r.alert.period])).toEqual([["tenant_month", "2026-11-01"]]);
  });

  it("alert by metric and log only when the tenant has no webhook, and never without an alert share", async () => {
    const quiet = await insertTenant(t.db, { name: "alert-none", dailyBudgetMicros: 1_000 });
    const hookless = await insertTenant(t.db, {
      name: "alert-hookless",
      endUserDailyBudgetMicros: 1_000,
      budgetAlertShare: 0.5,
    });
    const clock = createTestClock(new Date("2026-11-24T09:00:00Z"));
    const { processes, raised } = twoProcesses(clock);
    await (await processes[0]!.reserve({ tenant: quiet }, 1_000)).settle(1_000);
    await (await processes[1]!.reserve({ tenant: hookless, endUser: "ada" }, 600)).settle(600);
    await Promise.all(processes.map((g) => g.close()));
    expect(raised.map((r) => r.alert)).toEqual([
      expect.objectContaining({
        tenantName: "alert-hookless",
        budget: "user_day",
        subject: "ada",
        alertAtMicros: 500,
        spentMicros: 600,
        webhookQueued: false,
      }),
    ]);
    expect(await alertJobs(hookless.id)).toHaveLength(0);
    expect((await findTenantById(t.db, hookless.id))?.webhookSecret).toBeNull();
  });
});
