import { insertCascadeRun, insertLlmCalls, insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { usageStats } from "./usageStats.ts";

const t = useTestDatabase();

const call = (tenantId: string, model: string, over: Record<string, unknown> = {}) => ({
  tenantId,
  requestId: null,
  jobId: null,
  kind: "chat" as const,
  model,
  provider: "simulator",
  inputTokens: 100,
  outputTokens: 10,
  costMicros: 50,
  latencyMs: 5,
  ttftMs: null,
  cacheHit: false,
  status: "ok" as const,
  errorCode: null,
  ...over,
});

describe("usage stats", () => {
  it("totals calls, tokens, cost, cache hits and cascade outcomes by model and day, per tenant", async () => {
    const a = (await insertTenant(t.db, { name: "stats-a" })).id;
    const b = (await insertTenant(t.db, { name: "stats-b" })).id;
    await insertLlmCalls(t.db, [
      call(a, "sim-small"),
      call(a, "sim-small", { cacheHit: true, costMicros: 0 }),
      call(a, "sim-large", { costMicros: 1000, createdAt: new Date(Date.now() - 2 * 86_400_000) }),
      call(a, "sim-large", {
        status: "error",
        errorCode: "timeout",
        costMicros: 0,
        inputTokens: 0,
        outputTokens: 0,
      }),
      call(b, "sim-small", { costMicros: 999_999 }),
    ]);
    const run = (draftAccepted: boolean, saved: number) => ({
      tenantId: a,
      requestId: null,
      cascade: "simulator",
      modelUsed: draftAccepted ? "sim-small" : "sim-large",
      outcome: draftAccepted ? ("accepted" as const) : ("escalated" as const),
      cascaded: !draftAccepted,
      draftAccepted,
      totalCostMicros: 10,
      savedMicros: saved,
      latencyMs: 3,
    });
    await insertCascadeRun(t.db, run(true, 400), []);
    await insertCascadeRun(t.db, run(true, 400), []);
    await insertCascadeRun(t.db, run(false, -20), []);

    const stats = await usageStats(t.db, a);
    expect(stats.totals).toEqual({
      calls: 4,
      errors: 1,
      inputTokens: 300,
      outputTokens: 30,
      costMicros: 1050,
      savedMicros: 780,
      cacheHitRate: 0.25,
      cascadeRuns: 3,
      draftAcceptanceRate: 2 / 3,
      escalationRate: 1 / 3,
    });
    expect(stats.byModel.map((m) => [m.model, m.calls, m.costMicros])).toEqual([
      ["sim-large", 2, 1000],
      ["sim-small", 2, 50],
    ]);
    expect(stats.byDay).toHaveLength(3);
    expect(stats.byDay[0]!.day >= stats.byDay.at(-1)!.day).toBe(true);
    expect(stats.cascades).toEqual([
      expect.objectContaining({ cascade: "simulator", runs: 3, draftAccepted: 2, savedMicros: 780 }),
    ]);
    expect((await usageStats(t.db, b)).totals.costMicros).toBe(999_999);
  });
});
