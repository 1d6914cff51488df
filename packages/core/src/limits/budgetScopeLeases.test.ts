import { randomUUID } from "node:crypto";
import {
  type BudgetScopeName,
  deleteBudgetLeasesBefore,
  deleteBudgetPeriodsBefore,
  insertLlmCalls,
  insertTenant,
  leaseBudget,
  periodSpend,
  settleBudget,
} from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createApiKey } from "../auth/apiKeys.ts";
import { createTestClock } from "../testing/testClock.ts";
import { createBudgetGuard } from "./budgetGuard.ts";
import { wallClockOffsetMs } from "./clock.ts";

const t = useTestDatabase();
const day = "2026-11-24";

/** A call-log row of `holder` costing `costMicros`, made with `apiKeyId` for `endUser`. */
const call = (
  tenantId: string,
  holder: string,
  costMicros: number,
  apiKeyId: string | null,
  endUser: string | null,
) => ({
  tenantId,
  holder,
  apiKeyId,
  endUser,
  kind: "chat" as const,
  model: "sim-small",
  provider: "simulator",
  costMicros,
  inputTokens: 10,
  outputTokens: 10,
  cacheHit: false,
  latencyMs: 5,
  status: "ok" as const,
});

describe("budget scope leases", () => {
  it("reclaims a dead process's key and end-user slices, booking only the spend of that key and that user", async () => {
    const tenant = await insertTenant(t.db, { name: "scope-reclaim", endUserDailyBudgetMicros: 1_000 });
    const { key } = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      dailyBudgetMicros: 1_000,
    });
    const { key: other } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    const clock = createTestClock(new Date(`${day}T09:00:00Z`));
    const dead = randomUUID();
    const holder = {
      tenantId: tenant.id,
      day,
      holder: dead,
      ttlMs: 30_000,
      clockOffsetMs: wallClockOffsetMs(clock),
    };
    // The process that dies leases 800 of the key's day and 800 of ada's, then logs calls it never writes.
    for (const [scope, subject] of [
      ["key_day", key.id],
      ["user_day", "ada"],
    ] as const)
      expect(
        await leaseBudget(t.db, {
          ...holder,
          scope,
          subject,
          needMicros: 800,
          wantMicros: 800,
          budgetMicros: 1_000,
        }),
      ).toBe(800);
    await insertLlmCalls(t.db, [
      call(tenant.id, dead, 300, key.id, "ada"),
      call(tenant.id, dead, 200, key.id, "bob"),
      call(tenant.id, dead, 90, other.id, "ada"),
    ]);
    clock.advance(3_600_000);
    const guard = createBudgetGuard(t.db, { clock, leaseShare: 0 });
    // Reclaimed: the key's 500 (its two calls) and ada's 390 (her two calls) are booked as spent.
    const r = await guard.reserve({ tenant, apiKey: key, endUser: "ada" }, 500);
    expect(await periodSpend(t.db, { tenantId: tenant.id, day, scope: "key_day", subject: key.id })).toEqual({
      reservedMicros: 500,
      spentMicros: 500,
    });
    expect(await periodSpend(t.db, { tenantId: tenant.id, day, scope: "user_day", subject: "ada" })).toEqual({
      reservedMicros: 500,
      spentMicros: 390,
    });
    await expect(guard.reserve({ tenant, apiKey: key }, 1)).rejects.toMatchObject({
      details: { budget: "key_day" },
    });
    await r.settle(0);
    await guard.close();
  });

  it("deletes settled slices and spend of key, end-user and month periods once they are over", async () => {
    const tenant = await insertTenant(t.db, { name: "scope-prune" });
    const holder = {
      tenantId: tenant.id,
      holder: randomUUID(),
      ttlMs: 60_000,
      clockOffsetMs: Date.parse(`${day}T09:00:00Z`) - Date.now(),
    };
    const periods: [BudgetScopeName, string, string, boolean][] = [
      // scope, subject, period, settled
      ["key_day", "k", "2026-11-20", true],
      ["key_day", "k", day, true],
      ["user_day", "ada", "2026-11-23", false],
      ["tenant_month", "", "2026-10-01", true],
      ["key_month", "k", "2026-11-01", true],
    ];
    for (const [scope, subject, period, settled] of periods) {
      const at = { ...holder, scope, subject, day: period };
      await leaseBudget(t.db, { ...at, needMicros: 10, wantMicros: 10, budgetMicros: 1_000 });
      if (settled) await settleBudget(t.db, { ...at, reservedMicros: 10, spentMicros: 10 });
    }
    // Over and settled: 11-20's key day and October; ada's 11-23 still holds a reservation; today
    // and November are current.
    expect(await deleteBudgetLeasesBefore(t.db, day)).toBe(2);
    expect(await deleteBudgetPeriodsBefore(t.db, day)).toBe(2);
    const left = await t.db
      .selectFrom("budgetSpend")
      .select(["scope", "period"])
      .where("tenantId", "=", tenant.id)
      .orderBy("scope")
      .orderBy("period")
      .execute();
    expect(left.map((l) => [l.scope, new Date(l.period).toISOString().slice(0, 10)])).toEqual([
      ["key_day", day],
      ["key_month", "2026-11-01"],
      ["user_day", "2026-11-23"],
    ]);
  });
});
