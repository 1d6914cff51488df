import {
  type CascadeDayUsage,
  cascadeUsageByDay,
  type Db,
  type ModelDayUsage,
  modelUsageByDay,
} from "@sluice/db";

/** Totals over a period. */
export interface UsageTotals {
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** Saved by cascades versus always using their top tier. */
  savedMicros: number;
  cacheHitRate: number;
  cascadeRuns: number;
  /** Share of cascade runs whose cheap draft was accepted. */
  draftAcceptanceRate: number;
  escalationRate: number;
}

/** A tenant's usage: totals, by model, by day, and cascades. */
export interface UsageStats {
  since: string;
  totals: UsageTotals;
  byModel: Omit<ModelDayUsage, "day">[];
  byDay: ModelDayUsage[];
  cascades: CascadeDayUsage[];
}

const rate = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/** Usage stats of a tenant since a date (default: the last 30 days). */
export async function usageStats(
  db: Db,
  tenantId: string,
  since = new Date(Date.now() - 30 * 86_400_000),
): Promise<UsageStats> {
  const [byDay, cascades] = await Promise.all([
    modelUsageByDay(db, tenantId, since),
    cascadeUsageByDay(db, tenantId, since),
  ]);
  const models = new Map<string, Omit<ModelDayUsage, "day">>();
  for (const { day: _day, ...row } of byDay) {
    const m = models.get(row.model) ?? {
      model: row.model,
      calls: 0,
      errors: 0,
      cacheHits: 0,
      inputTokens: 0,
      outputTokens: 0,
      costMicros: 0,
    };
    m.calls += row.calls;
    m.errors += row.errors;
    m.cacheHits += row.cacheHits;
    m.inputTokens += row.inputTokens;
    m.outputTokens += row.outputTokens;
    m.costMicros += row.costMicros;
    models.set(row.model, m);
  }
  const byModel = [...models.values()].sort(
    (a, b) => b.costMicros - a.costMicros || a.model.localeCompare(b.model),
  );
  const sum = <T>(rows: T[], pick: (r: T) => number) => rows.reduce((s, r) => s + pick(r), 0);
  const calls = sum(byModel, (m) => m.calls);
  const runs = sum(cascades, (c) => c.runs);
  return {
    since: since.toISOString(),
    totals: {
      calls,
      errors: sum(byModel, (m) => m.errors),
      inputTokens: sum(byModel, (m) => m.inputTokens),
      outputTokens: sum(byModel, (m) => m.outputTokens),
      costMicros: sum(byModel, (m) => m.costMicros),
      savedMicros: sum(cascades, (c) => c.savedMicros),
      cacheHitRate: rate(
        sum(byModel, (m) => m.cacheHits),
        calls,
      ),
      cascadeRuns: runs,
      draftAcceptanceRate: rate(
        sum(cascades, (c) => c.draftAccepted),
        runs,
      ),
      escalationRate: rate(
        sum(cascades, (c) => c.cascaded),
        runs,
      ),
    },
    byModel,
    byDay,
    cascades,
  };
}
