import { randomUUID } from "node:crypto";
import {
  createDb,
  dailySpend,
  deleteBudgetLeasesBefore,
  insertLlmCalls,
  insertTenant,
  leaseBudget,
  settleBudget,
} from "@sluice/db";
import { sql, startCuttableProxy, useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createTestClock } from "../testing/testClock.ts";
import { createBudgetGuard } from "./budgetGuard.ts";
import { wallClockOffsetMs } from "./clock.ts";

const t = useTestDatabase();
const day = "2026-11-24";
// Every test moves its own clock: lease expiry is judged on it, in Postgres too, so nothing waits.
const morning = () => createTestClock(new Date(`${day}T09:00:00Z`));

/** A call-log row of `holder` costing `costMicros`. */
const call = (tenantId: string, holder: string, costMicros: number) => ({
  tenantId,
  holder,
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

const leaseOf = (tenantId: string, holder: string) =>
  t.db
    .selectFrom("budgetLeases")
    .select(["reservedMicros", "spentMicros"])
    .where("tenantId", "=", tenantId)
    .where("holder", "=", holder)
    .executeTakeFirstOrThrow();

describe("budget leases", () => {
  it("gives a dead process's slice back once it expires, booking the spend it logged but never wrote", async () => {
    const tenant = await insertTenant(t.db, { name: "lease-1", dailyBudgetMicros: 1_000 });
    const dead = randomUUID();
    const other = randomUUID();
    // A call the dead process logged before it took this day's slice: not this slice's spend.
    await insertLlmCalls(t.db, [call(tenant.id, dead, 40)]);
    // The process that dies: leases 600, writes 100 of spend (releasing 150), then logs 350 in all.
    const clock = morning();
    const ttlMs = 30_000;
    const holder = { tenantId: tenant.id, day, holder: dead, ttlMs, clockOffsetMs: wallClockOffsetMs(clock) };
    expect(
      await leaseBudget(t.db, { ...holder, needMicros: 600, wantMicros: 600, budgetMicros: 1_000 }),
    ).toBe(600);
    await settleBudget(t.db, { ...holder, reservedMicros: 150, spentMicros: 100 });
    await insertLlmCalls(t.db, [
      call(tenant.id, dead, 100),
      call(tenant.id, dead, 250),
      call(tenant.id, other, 77),
    ]);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 450, spentMicros: 100 });

    const guard = createBudgetGuard(t.db, { clock, leaseShare: 0 });
    // Before it expires, the slice is the dead process's: 450 are free, 600 do not fit.
    await expect(guard.reserve({ tenant }, 600)).rejects.toMatchObject({ code: "budget_exceeded" });
    // An hour later on the clock (no real wait): the slice has expired.
    clock.advance(3_600_000);
    // After: 450 come back, less the 250 it logged but never wrote, which are booked as spent.
    const r = await guard.reserve({ tenant }, 600);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 600, spentMicros: 350 });
    expect(await leaseOf(tenant.id, dead)).toEqual({ reservedMicros: 0, spentMicros: 350 });
    // Spend adds up to the call log: nothing of the dead process's is free to spend again.
    await expect(guard.reserve({ tenant }, 60)).rejects.toMatchObject({ code: "budget_exceeded" });
    await r.settle(600);
    await guard.close();
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 950 });
  });

  it("releases nothing twice when a process settles a slice that was reclaimed from it", async () => {
    const tenant = await insertTenant(t.db, { name: "lease-2", dailyBudgetMicros: 1_000 });
    const clock = morning();
    const slow = {
      tenantId: tenant.id,
      day,
      holder: randomUUID(),
      ttlMs: 100,
      clockOffsetMs: wallClockOffsetMs(clock),
    };
    await leaseBudget(t.db, { ...slow, needMicros: 500, wantMicros: 500, budgetMicros: 1_000 });
    clock.advance(200);
    const live = {
      tenantId: tenant.id,
      day,
      holder: randomUUID(),
      ttlMs: 60_000,
      clockOffsetMs: wallClockOffsetMs(clock),
    };
    expect(await leaseBudget(t.db, { ...live, needMicros: 900, wantMicros: 900, budgetMicros: 1_000 })).toBe(
      900,
    );
    slow.clockOffsetMs = wallClockOffsetMs(clock);
    // The slow process comes back and gives back its 500: the day still holds the live 900.
    await settleBudget(t.db, { ...slow, reservedMicros: 500, spentMicros: 0 });
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 900, spentMicros: 0 });
    expect(
      await leaseBudget(t.db, { ...slow, needMicros: 200, wantMicros: 200, budgetMicros: 1_000 }),
    ).toBeNull();
  });

  it("keeps a live process's slice renewed while a long call is in flight", async () => {
    const tenant = await insertTenant(t.db, { name: "lease-3", dailyBudgetMicros: 1_000 });
    const holder = randomUUID();
    const clock = morning();
    const longCall = createBudgetGuard(t.db, { clock, holder, leaseTtlMs: 200, leaseShare: 0 });
    const r = await longCall.reserve({ tenant }, 700);
    // Many times its time to live later, the slice is still held: its renewals ran as the clock moved.
    for (let i = 0; i < 16; i++) {
      clock.advance(50);
      await longCall.flush();
    }
    const other = createBudgetGuard(t.db, { clock, leaseShare: 0 });
    await expect(other.reserve({ tenant }, 400)).rejects.toMatchObject({ code: "budget_exceeded" });
    expect(await leaseOf(tenant.id, holder)).toEqual({ reservedMicros: 700, spentMicros: 0 });
    await r.settle(650);
    await longCall.close();
    expect(await leaseOf(tenant.id, holder)).toEqual({ reservedMicros: 0, spentMicros: 650 });
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 650 });
    await other.close();
  });

  it("deletes settled slices of past days only", async () => {
    const tenant = await insertTenant(t.db, { name: "lease-4", dailyBudgetMicros: 1_000 });
    const holder = {
      tenantId: tenant.id,
      holder: randomUUID(),
      ttlMs: 60_000,
      clockOffsetMs: Date.parse(`${day}T09:00:00Z`) - Date.now(),
    };
    for (const d of ["2026-11-20", "2026-11-21", day]) {
      await leaseBudget(t.db, { ...holder, day: d, needMicros: 10, wantMicros: 10, budgetMicros: 1_000 });
    }
    await settleBudget(t.db, { ...holder, day: "2026-11-20", reservedMicros: 10, spentMicros: 10 });
    await settleBudget(t.db, { ...holder, day, reservedMicros: 10, spentMicros: 10 });
    // 11-21 still holds a reservation and today is today: only 11-20 goes.
    expect(await deleteBudgetLeasesBefore(t.db, day)).toBe(1);
    const left = await t.db
      .selectFrom("budgetLeases")
      .select(sql<string>`day::text`.as("day"))
      .where("tenantId", "=", tenant.id)
      .orderBy("day")
      .execute();
    expect(left.map((l) => l.day)).toEqual(["2026-11-21", day]);
  });

  it("draws on nothing of a slice that went stale while the database was unreachable, once it is back", async () => {
    const tenant = await insertTenant(t.db, { name: "lease-5", dailyBudgetMicros: 1_000 });
    const proxy = await startCuttableProxy(t.url);
    const cutOff = createDb(proxy.url, { max: 2, connectionTimeoutMillis: 500 });
    try {
      const clock = morning();
      const a = createBudgetGuard(cutOff, { clock, leaseTtlMs: 400, leaseShare: 1, onError: () => {} });
      // A takes the whole budget as its slice and has a call of 100 in flight.
      const call = await a.reserve({ tenant }, 100);
      expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 1_000, spentMicros: 0 });
      // A loses the database past its slice's expiry; B reclaims the slice and reserves most of it.
      proxy.cut();
      clock.advance(700);
      const b = createBudgetGuard(t.db, { clock, leaseShare: 0 });
      const bCall = await b.reserve({ tenant }, 800);
      proxy.restore();
      // A's call ends and its spend is written once A reaches the database again.
      await call.settle(50);
      await expect
        .poll(
          async () => {
            await a.flush();
            return (await dailySpend(t.db, tenant.id, day)).spentMicros;
          },
          { timeout: 5_000 },
        )
        .toBe(50);
      // What A held before is gone: it must ask Postgres, where 150 are left.
      await expect(a.reserve({ tenant }, 300)).rejects.toMatchObject({ code: "budget_exceeded" });
      expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 800, spentMicros: 50 });
      await bCall.settle(800);
      await Promise.all([a.close(), b.close()]);
      expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 850 });
    } finally {
      await cutOff.destroy();
      await proxy.close();
    }
  });
});
