import { dailySpend, insertTenant, type Tenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import type { SluiceError } from "../errors/sluiceError.ts";
import { createBudgetGuard } from "./budgetGuard.ts";
import { createRateLimiter } from "./rateLimiter.ts";

const t = useTestDatabase();
const at = (iso: string) => ({ now: () => Date.parse(iso) });

describe("rate limiter", () => {
  it("allows up to the limit per minute, then 429 with the wait, and resets next minute", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-1", rateLimitRpm: 3 });
    const limiter = createRateLimiter(t.db, at("2026-11-24T10:00:45Z"));
    for (let i = 0; i < 3; i++) await limiter.take(tenant, 0);
    const error = await limiter.take(tenant, 0).catch((e: SluiceError) => e);
    expect(error).toMatchObject({ code: "rate_limit_exceeded", retryAfterMs: 15_000 });
    await expect(createRateLimiter(t.db, at("2026-11-24T10:01:00Z")).take(tenant, 0)).resolves.toMatchObject({
      limitRequests: 3,
    });
  });

  it("limits tokens per minute too, and never counts a rejected request", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-2", rateLimitTpm: 1000 });
    const limiter = createRateLimiter(t.db, at("2026-11-24T11:00:00Z"));
    await limiter.take(tenant, 600);
    await expect(limiter.take(tenant, 600)).rejects.toMatchObject({ code: "rate_limit_exceeded" });
    await expect(limiter.take(tenant, 400)).resolves.toBeDefined();
  });

  it("holds across concurrent callers", async () => {
    const tenant = await insertTenant(t.db, { name: "rl-3", rateLimitRpm: 10 });
    const limiter = createRateLimiter(t.db, at("2026-11-24T12:00:00Z"));
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => limiter.take(tenant, 0)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
  });
});

describe("budget guard", () => {
  const day = "2026-11-24";
  const clock = at(`${day}T09:00:00Z`);

  it("reserves the maximum, settles the real cost, and refuses with 402 when the budget cannot cover a request", async () => {
    const tenant = await insertTenant(t.db, { name: "b-1", dailyBudgetMicros: 1_000 });
    const guard = createBudgetGuard(t.db, clock);
    const r = await guard.reserve(tenant, 600);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 600, spentMicros: 0 });
    await expect(guard.reserve(tenant, 500)).rejects.toMatchObject({ code: "budget_exceeded" });
    await r.settle(120);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 120 });
    await r.settle(120);
    expect((await dailySpend(t.db, tenant.id, day)).spentMicros).toBe(120);
    await expect(guard.reserve(tenant, 880)).resolves.toBeDefined();
  });

  it("never overspends under concurrent reservations", async () => {
    const tenant: Tenant = await insertTenant(t.db, { name: "b-2", dailyBudgetMicros: 10_000 });
    const guard = createBudgetGuard(t.db, clock);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => guard.reserve(tenant, 700)));
    const granted = outcomes.filter((o) => o.status === "fulfilled");
    expect(granted).toHaveLength(14);
    await Promise.all(
      granted.map((o) =>
        (o as PromiseFulfilledResult<{ settle(n: number): Promise<void> }>).value.settle(700),
      ),
    );
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 9_800 });
  });

  it("lets unlimited tenants through without touching the table", async () => {
    const tenant = await insertTenant(t.db, { name: "b-3" });
    await (await createBudgetGuard(t.db, clock).reserve(tenant, 1e9)).settle(5);
    expect(await dailySpend(t.db, tenant.id, day)).toEqual({ reservedMicros: 0, spentMicros: 0 });
  });
});
