import { describe, expect, it } from "vitest";
import { sql, useTestDatabase } from "../testing/index.ts";
import { insertLlmCalls } from "./llmCalls.ts";
import { insertTenant } from "./tenants.ts";
import { rollUpLlmCallsBefore } from "./usageRollup.ts";
import { callUsageSince, modelUsageByDay } from "./usageStats.ts";

const t = useTestDatabase();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Noon on a day well in the past: calls spread over the ten days before it.
const NOON = Date.UTC(2026, 5, 15, 12);
const BATCH_ID = "0193a1b2-0000-7000-8000-000000000001";

/** Calls of two tenants over ten days, varied in model, status, cache hits, key and end user. */
async function seedCalls(tenantIds: string[]): Promise<number> {
  const rows = [];
  for (let i = 0; i < 240; i++) {
    const tenantId = tenantIds[i % tenantIds.length]!;
    rows.push({
      tenantId,
      kind: i % 7 === 0 ? ("embedding" as const) : ("chat" as const),
      model: i % 3 === 0 ? "sim-large" : "sim-small",
      provider: "simulator",
      inputTokens: 10 + (i % 13),
      outputTokens: i % 5 === 0 ? 0 : 3 + (i % 11),
      costMicros: 7 * i + 1,
      latencyMs: 20 + i,
      cacheHit: i % 4 === 0,
      status: i % 9 === 0 ? ("error" as const) : ("ok" as const),
      endUser: i % 2 === 0 ? `user-${i % 3}` : null,
      batchId: i % 11 === 0 ? BATCH_ID : null,
      // Every 1 h 3 min back from noon: ten days, several calls on every hour of the clock.
      createdAt: new Date(NOON - i * (HOUR + 3 * 60_000)),
    });
  }
  await insertLlmCalls(t.db, rows);
  return rows.length;
}

const rawCount = async (tenantId: string) =>
  Number(
    (
      await sql<{ n: string }>`select count(*) as n from llm_calls where tenant_id = ${tenantId}`.execute(
        t.db,
      )
    ).rows[0]?.n,
  );

describe("call-log roll-up", () => {
  it("leaves usage by day exactly as it was, across rolled-up days, a part-rolled day and raw rows", async () => {
    const a = await insertTenant(t.db, { name: "rollup-a" });
    const b = await insertTenant(t.db, { name: "rollup-b" });
    const total = await seedCalls([a.id, b.id]);
    // A window from a UTC midnight, and one from before every call.
    const since = [new Date(Date.UTC(2026, 5, 8)), new Date(NOON - 30 * DAY)];
    const usage = async () =>
      Promise.all([a.id, b.id].flatMap((id) => since.map((s) => modelUsageByDay(t.db, id, s))));
    const before = await usage();
    expect(before[0]!.length).toBeGreaterThan(10);

    // The cutoff falls mid-day (09:00): that day is part rolled up, part raw.
    const cutoff = new Date(NOON - 4 * DAY - 3 * HOUR);
    let rolled = 0;
    for (let n = 17; n === 17; ) {
      n = await rollUpLlmCallsBefore(t.db, cutoff, 17);
      rolled += n;
    }
    const older = await sql<{
      n: string;
    }>`select count(*) as n from llm_calls where created_at < ${cutoff}`.execute(t.db);
    expect(Number(older.rows[0]?.n)).toBe(0);
    expect(rolled).toBeGreaterThan(100);
    expect((await rawCount(a.id)) + (await rawCount(b.id))).toBe(total - rolled);
    expect(await usage()).toEqual(before);

    // Everything rolled, in one more pass at a later cutoff: still the same numbers.
    await rollUpLlmCallsBefore(t.db, new Date(NOON + DAY), 1_000);
    expect((await rawCount(a.id)) + (await rawCount(b.id))).toBe(0);
    expect(await usage()).toEqual(before);
  });

  it("keeps key and end user apart, and sums calls, errors, cache hits, tokens, cost and latency", async () => {
    const tenant = await insertTenant(t.db, { name: "rollup-keys" });
    await seedCalls([tenant.id]);
    const sums = sql<Record<string, string>>`
      select end_user, count(*)::text as calls, count(*) filter (where status <> 'ok')::text as errors,
        count(*) filter (where cache_hit)::text as cache_hits, sum(input_tokens)::text as input_tokens,
        sum(output_tokens)::text as output_tokens, sum(cost_micros)::text as cost_micros,
        sum(latency_ms)::text as latency_ms,
        coalesce(sum(input_tokens) filter (where cache_hit), 0)::text as cached_input_tokens
      from llm_calls where tenant_id = ${tenant.id} group by 1 order by 1 nulls first`;
    const raw = (await sums.execute(t.db)).rows;
    await rollUpLlmCallsBefore(t.db, new Date(NOON + DAY), 50);
    await rollUpLlmCallsBefore(t.db, new Date(NOON + DAY), 1_000);
    const rolled = await sql<Record<string, string>>`
      select end_user, sum(calls)::text as calls, sum(errors)::text as errors,
        sum(cache_hits)::text as cache_hits, sum(input_tokens)::text as input_tokens,
        sum(output_tokens)::text as output_tokens, sum(cost_micros)::text as cost_micros,
        sum(latency_ms)::text as latency_ms, sum(cached_input_tokens)::text as cached_input_tokens
      from llm_usage_daily where tenant_id = ${tenant.id} group by 1 order by 1 nulls first`.execute(t.db);
    expect(rolled.rows).toEqual(raw);
    // One row per day, model, kind and end user: far fewer than the calls.
    const rows = await sql<{ n: string }>`
      select count(*) as n from llm_usage_daily where tenant_id = ${tenant.id}`.execute(t.db);
    expect(Number(rows.rows[0]?.n)).toBeLessThan(240);
  });

  it("gives the same spend by end user, kind, batch and day from call usage before and after a roll-up", async () => {
    const tenant = await insertTenant(t.db, { name: "rollup-spend" });
    await seedCalls([tenant.id]);
    const since = new Date(Date.UTC(2026, 5, 9));
    const spend = async () =>
      (
        await sql<Record<string, string>>`
          select to_char(day, 'YYYY-MM-DD') as day, end_user, kind, batch, sum(calls)::text as calls,
            sum(cost_micros)::text as cost, sum(cached_input_tokens)::text as cached
          from (${callUsageSince({ tenantId: tenant.id, since })}) u
          group by 1, 2, 3, 4 order by 1, 2 nulls first, 3, 4`.execute(t.db)
      ).rows;
    const before = await spend();
    expect(before.length).toBeGreaterThan(20);
    await rollUpLlmCallsBefore(t.db, new Date(NOON - 2 * DAY - 5 * HOUR), 1_000);
    expect(await rawCount(tenant.id)).toBeLessThan(240);
    expect(await spend()).toEqual(before);
  });

  it("counts nothing twice when a roll-up is cut off: its transaction leaves both tables as they were", async () => {
    const tenant = await insertTenant(t.db, { name: "rollup-crash" });
    const total = await seedCalls([tenant.id]);
    const since = new Date(Date.UTC(2026, 5, 1));
    const before = await modelUsageByDay(t.db, tenant.id, since);
    await expect(
      t.db.transaction().execute(async (tx) => {
        expect(await rollUpLlmCallsBefore(tx, new Date(NOON), 100)).toBe(100);
        throw new Error("worker killed mid-pass");
      }),
    ).rejects.toThrow("worker killed mid-pass");
    expect(await rawCount(tenant.id)).toBe(total);
    const daily = await sql<{ n: string }>`
      select count(*) as n from llm_usage_daily where tenant_id = ${tenant.id}`.execute(t.db);
    expect(Number(daily.rows[0]?.n)).toBe(0);
    // The next pass rolls them all, once.
    await rollUpLlmCallsBefore(t.db, new Date(NOON + DAY), 1_000);
    expect(await modelUsageByDay(t.db, tenant.id, since)).toEqual(before);
  });
});
