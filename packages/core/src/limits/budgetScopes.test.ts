import { dailySpend, insertTenant, periodSpend } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createApiKey } from "../auth/apiKeys.ts";
import type { SluiceError } from "../errors/sluiceError.ts";
import { createTestClock } from "../testing/testClock.ts";
import { type BudgetReservation, createBudgetGuard } from "./budgetGuard.ts";

const t = useTestDatabase();
const day = "2026-11-24";
const month = "2026-11-01";
const morning = () => createTestClock(new Date(`${day}T09:00:00Z`));

/** Reservations that went through and the refusals, of calls made at once. */
async function race(calls: Promise<BudgetReservation>[]) {
  const outcomes = await Promise.allSettled(calls);
  const granted = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as SluiceError] : []));
  return { granted, refused };
}

describe("budget scopes", () => {
  it("refuses once the month's spend reaches the monthly budget while the day still has room", async () => {
    const tenant = await insertTenant(t.db, {
      name: "scope-month",
      dailyBudgetMicros: 5_000,
      monthlyBudgetMicros: 1_000,
    });
    const clock = morning();
    // Idle slices go back at each write, so moving the clock a day does not run a day of renewals.
    const guard = createBudgetGuard(t.db, { clock, leaseShare: 0, idleReleaseMs: 0 });
    await (await guard.reserve({ tenant }, 700)).settle(700);
    const refusal = await guard.reserve({ tenant }, 400).catch((e: SluiceError) => e);
    expect(refusal).toMatchObject({
      code: "budget_exceeded",
      message: expect.stringContaining("tenant monthly budget of $0.001"),
      details: { budget: "tenant_month", monthlyBudgetMicros: 1_000, period: month },
    });
    // The refusal gave the day back what it had reserved for the call.
    await guard.flush();
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 700 });
    await (await guard.reserve({ tenant }, 300)).settle(300);
    // Another day of the same month: the day is fresh, the month is spent.
    clock.advance(86_400_000);
    await expect(guard.reserve({ tenant }, 1)).rejects.toMatchObject({ details: { budget: "tenant_month" } });
    await guard.close();
    expect(await periodSpend(t.db, { tenantId: tenant.id, scope: "tenant_month", day: month })).toEqual({
      reservedMicros: 0,
      spentMicros: 1_000,
    });
  });

  it("refuses on the daily budget when it is the tighter one, and starts a fresh month at rollover", async () => {
    const tenant = await insertTenant(t.db, {
      name: "scope-rollover",
      dailyBudgetMicros: 600,
      monthlyBudgetMicros: 1_000,
    });
    const clock = createTestClock(new Date("2026-11-30T23:59:00Z"));
    // Idle slices go back at each write, so moving the clock a day does not run a day of renewals.
    const guard = createBudgetGuard(t.db, { clock, leaseShare: 0, idleReleaseMs: 0 });
    await (await guard.reserve({ tenant }, 500)).settle(500);
    await expect(guard.reserve({ tenant }, 200)).rejects.toMatchObject({ details: { budget: "tenant_day" } });
    clock.advance(60_000);
    // December 1st: a new day and a new month, on the clock alone.
    await (await guard.reserve({ tenant }, 600)).settle(550);
    await guard.close();
    expect(
      await periodSpend(t.db, { tenantId: tenant.id, scope: "tenant_month", day: "2026-11-01" }),
    ).toEqual({ reservedMicros: 0, spentMicros: 500 });
    expect(
      await periodSpend(t.db, { tenantId: tenant.id, scope: "tenant_month", day: "2026-12-01" }),
    ).toEqual({ reservedMicros: 0, spentMicros: 550 });
    expect(await dailySpend(t.db, tenant.id, "2026-12-01")).toEqual({ reservedMicros: 0, spentMicros: 550 });
  });

  it("holds a key's daily budget across two processes without overspend, other keys unaffected", async () => {
    const tenant = await insertTenant(t.db, { name: "scope-key", dailyBudgetMicros: 100_000 });
    const { key } = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      dailyBudgetMicros: 5_000,
    });
    const { key: other } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    const clock = morning();
    const processes = [0, 1].map(() => createBudgetGuard(t.db, { clock, leaseShare: 0.3 }));
    const { granted, refused } = await race(
      Array.from({ length: 30 }, (_, i) => processes[i % 2]!.reserve({ tenant, apiKey: key }, 700)),
    );
    expect(granted.length).toBeGreaterThanOrEqual(3);
    expect(granted.length).toBeLessThanOrEqual(7);
    for (const error of refused)
      expect(error).toMatchObject({
        code: "budget_exceeded",
        details: { budget: "key_day", apiKeyId: key.id },
      });
    // The tenant's other key still spends.
    const free = await processes[0]!.reserve({ tenant, apiKey: other }, 20_000);
    await Promise.all([...granted.map((r) => r.settle(700)), free.settle(20_000)]);
    await Promise.all(processes.map((g) => g.close()));
    const keyDay = await periodSpend(t.db, { tenantId: tenant.id, scope: "key_day", subject: key.id, day });
    expect(keyDay).toEqual({ reservedMicros: 0, spentMicros: granted.length * 700 });
    expect(keyDay.spentMicros).toBeLessThanOrEqual(5_000);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({
      reservedMicros: 0,
      spentMicros: granted.length * 700 + 20_000,
    });
  });

  it("holds a key's monthly budget across days", async () => {
    const tenant = await insertTenant(t.db, { name: "scope-key-month" });
    const { key } = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      monthlyBudgetMicros: 1_000,
    });
    const clock = morning();
    // Idle slices go back at each write, so moving the clock a day does not run a day of renewals.
    const guard = createBudgetGuard(t.db, { clock, leaseShare: 0, idleReleaseMs: 0 });
    await (await guard.reserve({ tenant, apiKey: key }, 800)).settle(800);
    clock.advance(86_400_000);
    await expect(guard.reserve({ tenant, apiKey: key }, 300)).rejects.toMatchObject({
      message: expect.stringContaining(`API key monthly budget of key ${key.id}`),
      details: { budget: "key_month" },
    });
    await guard.close();
  });

  it("holds each end user of a tenant to the tenant's end-user budget across two processes", async () => {
    const tenant = await insertTenant(t.db, { name: "scope-user", endUserDailyBudgetMicros: 2_000 });
    const clock = morning();
    const processes = [0, 1].map(() => createBudgetGuard(t.db, { clock, leaseShare: 0.5 }));
    const { granted, refused } = await race(
      Array.from({ length: 20 }, (_, i) =>
        processes[i % 2]!.reserve({ tenant, endUser: i < 10 ? "ada" : "bob" }, 500),
      ),
    );
    // 4 of 500 fit in each user's 2,000, whichever process serves them.
    expect(granted).toHaveLength(8);
    expect(refused).toHaveLength(12);
    expect(refused[0]).toMatchObject({ details: { budget: "user_day" } });
    // A call naming no end user is not held to it; the tenant has no budget of its own.
    await (await processes[0]!.reserve({ tenant }, 50_000)).settle(0);
    await Promise.all(granted.map((r) => r.settle(500)));
    await Promise.all(processes.map((g) => g.close()));
    for (const user of ["ada", "bob"]) {
      expect(await periodSpend(t.db, { tenantId: tenant.id, scope: "user_day", subject: user, day })).toEqual(
        {
          reservedMicros: 0,
          spentMicros: 2_000,
        },
      );
    }
  });

  it("reserves all or nothing: a refusal by one budget leaves nothing reserved in the others", async () => {
    const tenant = await insertTenant(t.db, {
      name: "scope-all-or-nothing",
      dailyBudgetMicros: 10_000,
      monthlyBudgetMicros: 50_000,
      endUserDailyBudgetMicros: 9_000,
    });
    const { key } = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      dailyBudgetMicros: 3_000,
    });
    const clock = morning();
    const a = createBudgetGuard(t.db, { clock, leaseShare: 0 });
    const b = createBudgetGuard(t.db, { clock, leaseShare: 0 });
    const principal = { tenant, apiKey: key, endUser: "ada" };
    const held = await a.reserve(principal, 2_000);
    // The key has 1,000 left: b's call is refused by the key after the user's day took its part.
    await expect(b.reserve({ ...principal, endUser: "bob" }, 2_000)).rejects.toMatchObject({
      details: { budget: "key_day" },
    });
    // Refused by the tenant's day (8,000 left) after the end user's day had reserved for it.
    const { key: wide } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    await expect(b.reserve({ tenant, apiKey: wide, endUser: "cy" }, 8_500)).rejects.toMatchObject({
      details: { budget: "tenant_day" },
    });
    await b.flush();
    const reserved = async (scope: "key_day" | "user_day" | "tenant_month", subject = "") =>
      (
        await periodSpend(t.db, {
          tenantId: tenant.id,
          scope,
          subject,
          day: scope === "tenant_month" ? month : day,
        })
      ).reservedMicros;
    expect(await reserved("key_day", key.id)).toBe(2_000);
    expect(await reserved("user_day", "ada")).toBe(2_000);
    expect(await reserved("user_day", "bob")).toBe(0);
    expect(await reserved("user_day", "cy")).toBe(0);
    expect(await reserved("tenant_month")).toBe(2_000);
    expect((await dailySpend(t.db, tenant.id, day)).reservedMicros).toBe(2_000);
    // What the refusals gave back is there for the next call.
    await (await b.reserve({ tenant, apiKey: wide, endUser: "cy" }, 8_000)).settle(8_000);
    await held.settle(1_500);
    await Promise.all([a.close(), b.close()]);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 9_500 });
  });
});
