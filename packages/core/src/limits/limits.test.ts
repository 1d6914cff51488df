import { dailySpend, insertTenant, type Tenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import type { SluiceError } from "../errors/sluiceError.ts";
import { createTestClock } from "../testing/testClock.ts";
import { createBudgetGuard } from "./budgetGuard.ts";
import { createRateLimiter } from "./rateLimiter.ts";

const t = useTestDatabase();
const at = (iso: string) => ({ now: () => Date.parse(iso) });
const windowOf = (tenantId: string, iso: string) =>
  t.db
    .selectFrom("rateLimitWindows")
    .select(["requests", "tokens"])
    .where("tenantId", "=", tenantId)
    .where("windowStart", "=", new Date(iso))
    .executeTakeFirstOrThrow();

describe("rate limiter", () => {
  it("allows up to the limit per minute, then 429 with the wait, and resets next minute", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-1", rateLimitRpm: 3 });
    const limiter = createRateLimiter(t.db, { clock: at("2026-11-24T10:00:45Z") });
    for (let i = 0; i < 3; i++) await limiter.take(tenant, 0);
    const error = await limiter.take(tenant, 0).catch((e: SluiceError) => e);
    expect(error).toMatchObject({ code: "rate_limit_exceeded", retryAfterMs: 15_000 });
    await expect(
      createRateLimiter(t.db, { clock: at("2026-11-24T10:01:00Z") }).take(tenant, 0),
    ).resolves.toMatchObject({
      limitRequests: 3,
    });
  });

  it("limits tokens per minute too, and never counts a rejected request", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-2", rateLimitTpm: 1000 });
    const limiter = createRateLimiter(t.db, { clock: at("2026-11-24T11:00:00Z") });
    await limiter.take(tenant, 600);
    await expect(limiter.take(tenant, 600)).rejects.toMatchObject({ code: "rate_limit_exceeded" });
    await expect(limiter.take(tenant, 400)).resolves.toBeDefined();
  });

  it("leases a slice of the window so most requests skip Postgres, and gives the unused part back on close", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-4", rateLimitRpm: 1_000, rateLimitTpm: 100_000 });
    const limiter = createRateLimiter(t.db, { clock: at("2026-11-24T13:00:10Z") });
    for (let i = 0; i < 10; i++) await limiter.take(tenant, 100);
    expect(await windowOf(tenant.id, "2026-11-24T13:00:00Z")).toEqual({ requests: 50, tokens: 5_000 });
    await limiter.close();
    expect(await windowOf(tenant.id, "2026-11-24T13:00:00Z")).toEqual({ requests: 10, tokens: 1_000 });
  });

  it("never admits more than the limit across processes that each lease slices", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-5", rateLimitRpm: 100 });
    const clock = at("2026-11-24T14:00:00Z");
    const limiters = [0, 1, 2].map(() => createRateLimiter(t.db, { clock, leaseShare: 0.1 }));
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => limiters[i % 3]!.take(tenant, 0)),
    );
    const admitted = results.filter((r) => r.status === "fulfilled").length;
    expect(admitted).toBeLessThanOrEqual(100);
    expect(admitted).toBeGreaterThanOrEqual(80);
    await Promise.all(limiters.map((l) => l.close()));
    expect((await windowOf(tenant.id, "2026-11-24T14:00:00Z")).requests).toBe(admitted);
  });

  it("counts only tokens when only tokens are limited", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-6", rateLimitTpm: 1_000 });
    const limiter = createRateLimiter(t.db, { clock: at("2026-11-24T15:00:00Z"), leaseShare: 0 });
    for (let i = 0; i < 10; i++) await limiter.take(tenant, 100);
    await expect(limiter.take(tenant, 1)).rejects.toMatchObject({ code: "rate_limit_exceeded" });
    expect(await windowOf(tenant.id, "2026-11-24T15:00:00Z")).toEqual({ requests: 0, tokens: 1_000 });
  });

  it("resets a limiter's window when its clock passes the minute, with no real wait", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-7", rateLimitRpm: 2 });
    const clock = createTestClock(new Date("2026-11-24T16:00:30Z"));
    const limiter = createRateLimiter(t.db, { clock, leaseShare: 0 });
    await limiter.take(tenant, 0);
    await limiter.take(tenant, 0);
    await expect(limiter.take(tenant, 0)).rejects.toMatchObject({ retryAfterMs: 30_000 });
    clock.advance(29_999);
    await expect(limiter.take(tenant, 0)).rejects.toMatchObject({ retryAfterMs: 1 });
    clock.advance(1);
    await expect(limiter.take(tenant, 0)).resolves.toMatchObject({
      resetAt: Date.parse("2026-11-24T16:02:00Z"),
    });
    // The window Postgres counts is the clock's minute, not the database's.
    expect(await windowOf(tenant.id, "2026-11-24T16:01:00Z")).toEqual({ requests: 1, tokens: 0 });
    clock.set(new Date("2026-11-25T08:00:00Z"));
    await limiter.take(tenant, 0);
    await limiter.take(tenant, 0);
    expect(await windowOf(tenant.id, "2026-11-25T08:00:00Z")).toEqual({ requests: 2, tokens: 0 });
    await limiter.close();
  });

  it("holds across concurrent callers", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-3", rateLimitRpm: 10 });
    const limiter = createRateLimiter(t.db, { clock: at("2026-11-24T12:00:00Z") });
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => limiter.take(tenant, 0)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
  });
});

describe("budget guard", () => {
  const day = "2026-11-24";
  const clock = at(`${day}T09:00:00Z`);

  it("reserves the maximum, settles the real cost, and refuses with 402 when the budget cannot cover a request", async () => {
    const tenant = await insertTenant(t.db, { name: "b-1", dailyBudgetMicros: 1_000 });
    const guard = createBudgetGuard(t.db, { clock });
    const r = await guard.reserve({ tenant }, 600);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 600, spentMicros: 0 });
    await expect(guard.reserve({ tenant }, 500)).rejects.toMatchObject({ code: "budget_exceeded" });
    await r.settle(120);
    await r.settle(120);
    await guard.flush();
    // 480 stays leased to this process until it is idle or closes.
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 480, spentMicros: 120 });
    const big = await guard.reserve({ tenant }, 880);
    await big.settle(880);
    await guard.close();
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 1_000 });
  });

  it("serves reservations from its lease without a round trip per request", async () => {
    const tenant = await insertTenant(t.db, { name: "b-4", dailyBudgetMicros: 1_000_000 });
    const guard = createBudgetGuard(t.db, { clock });
    const first = await guard.reserve({ tenant }, 100);
    // One lease of 64 requests' worth (capped at 1/20 of the budget) covers the next ones.
    expect((await dailySpend(t.db, tenant.id, day)).reservedMicros).toBe(6_400);
    const rest = await Promise.all(Array.from({ length: 63 }, () => guard.reserve({ tenant }, 100)));
    expect((await dailySpend(t.db, tenant.id, day)).reservedMicros).toBe(6_400);
    await Promise.all([first, ...rest].map((r) => r.settle(40)));
    await guard.close();
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 64 * 40 });
  });

  it("gives an idle lease back on its own", async () => {
    const tenant = await insertTenant(t.db, { name: "b-5", dailyBudgetMicros: 1_000_000 });
    const guard = createBudgetGuard(t.db, { idleReleaseMs: 20 });
    await (await guard.reserve({ tenant }, 100)).settle(30);
    await expect
      .poll(async () => dailySpend(t.db, tenant.id, new Date().toISOString().slice(0, 10)), {
        timeout: 2_000,
      })
      .toEqual({ reservedMicros: 0, spentMicros: 30 });
    await guard.close();
  });

  it("never overspends under concurrent reservations from several processes", async () => {
    const tenant: Tenant = await insertTenant(t.db, { name: "b-2", dailyBudgetMicros: 10_000 });
    const guards = [0, 1, 2].map(() => createBudgetGuard(t.db, { clock, leaseShare: 0.2 }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => guards[i % 3]!.reserve({ tenant }, 700)),
    );
    const granted = outcomes.filter((o) => o.status === "fulfilled");
    expect(granted.length).toBeLessThanOrEqual(14);
    expect(granted.length).toBeGreaterThanOrEqual(9);
    await Promise.all(
      granted.map((o) =>
        (o as PromiseFulfilledResult<{ settle(n: number): Promise<void> }>).value.settle(700),
      ),
    );
    await Promise.all(guards.map((g) => g.close()));
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({
      reservedMicros: 0,
      spentMicros: granted.length * 700,
    });
  });

  it("starts a fresh budget when its clock passes midnight, with no real wait", async () => {
    const tenant = await insertTenant(t.db, { name: "b-6", dailyBudgetMicros: 1_000 });
    const clock = createTestClock(new Date(`${day}T23:59:00Z`));
    const guard = createBudgetGuard(t.db, { clock, leaseShare: 1 });
    await (await guard.reserve({ tenant }, 900)).settle(900);
    await expect(guard.reserve({ tenant }, 200)).rejects.toMatchObject({ code: "budget_exceeded" });
    clock.advance(60_000);
    await (await guard.reserve({ tenant }, 200)).settle(150);
    await guard.close();
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 900 });
    expect(await dailySpend(t.db, tenant.id, "2026-11-25")).toEqual({ reservedMicros: 0, spentMicros: 150 });
  });

  it("lets unlimited tenants through without touching the table", async () => {
    const tenant = await insertTenant(t.db, { name: "b-3" });
    const guard = createBudgetGuard(t.db, { clock });
    await (await guard.reserve({ tenant }, 1e9)).settle(5);
    await guard.close();
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 0 });
  });
});
