import { createBudgetGuard } from "@sluice/core";
import { createTestClock } from "@sluice/core/testing";
import { dailySpend } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slowChat, startProcessHarness } from "./processHarness.ts";

// A worker killed with SIGKILL while it holds a slice of a tenant's daily budget: the slice must
// come back once it expires, so the budget stays usable, without turning real spend into free budget.
const t = useTestDatabase();
let h: Awaited<ReturnType<typeof startProcessHarness>>;
const BUDGET = 200_000;

beforeAll(async () => {
  h = await startProcessHarness(t, {
    simulator: { latency: "realistic" },
    jobs: { "chat.complete": { timeLimitSeconds: 30, retryLimit: 0 } },
    env: { SLUICE_BUDGET_LEASE_SECONDS: "1" },
  });
});
afterAll(() => h.close());

const today = () => new Date().toISOString().slice(0, 10);

describe("budget leases across processes", () => {
  it("reclaims the slice of a worker killed mid-call once it expires, keeping what it spent", {
    timeout: 60_000,
  }, async () => {
    await t.db
      .updateTable("tenants")
      .set({ dailyBudgetMicros: BUDGET })
      .where("id", "=", h.tenant.id)
      .execute();
    const tenant = await t.db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", h.tenant.id)
      .executeTakeFirstOrThrow();
    const worker = await h.worker();
    // One quick job (its cost is logged), then a slow streaming one the worker is killed in.
    const quick = await h.enqueue("chat.complete", {
      request: { model: "sim-small", messages: [{ role: "user", content: "hello" }], max_tokens: 8 },
    });
    await h.until(quick.id, ["completed"]);
    await expect
      .poll(() => t.db.selectFrom("llmCalls").select("holder").where("jobId", "=", quick.id).execute())
      .toMatchObject([{ holder: expect.any(String) }]);
    const slow = await h.enqueue("chat.complete", slowChat("sim-large", 600));
    await h.until(slow.id, ["active"]);
    const held = await t.db
      .selectFrom("budgetLeases")
      .select(["holder", "reservedMicros"])
      .where("tenantId", "=", h.tenant.id)
      .where("reservedMicros", ">", 0)
      .executeTakeFirstOrThrow();
    worker.kill9();
    await worker.exited;
    const atKill = await dailySpend(t.db, h.tenant.id, today());
    expect(atKill.reservedMicros).toBe(held.reservedMicros);

    // Another process needs the whole rest of the budget: refused while the dead slice is live…
    // Its clock starts at the wall clock's time and moves only when told: expiry is judged on it.
    const clock = createTestClock(Date.now());
    const guard = createBudgetGuard(t.db, { leaseShare: 0, clock });
    const rest = BUDGET - atKill.spentMicros;
    await expect(guard.reserve({ tenant }, rest)).rejects.toMatchObject({ code: "budget_exceeded" });
    // …granted once it expired (1.5 s later on the clock, no real wait), less whatever the dead
    // worker logged and never wrote.
    clock.advance(1_500);
    const logged = await sql<{ cost: number }>`
      select coalesce(sum(cost_micros), 0)::int8 as cost from llm_calls
      where tenant_id = ${h.tenant.id} and holder = ${held.holder}`.execute(t.db);
    const cost = Number(logged.rows[0]!.cost);
    expect(cost).toBeGreaterThan(0);
    const afterKill = BUDGET - Math.max(atKill.spentMicros, cost);
    const r = await guard.reserve({ tenant }, afterKill);
    const now = await dailySpend(t.db, h.tenant.id, today());
    expect(now.reservedMicros).toBe(afterKill);
    expect(now.spentMicros).toBe(Math.max(atKill.spentMicros, cost));
    expect(now.spentMicros + now.reservedMicros).toBe(BUDGET);
    await r.settle(0);
    await guard.close();
  });
});
