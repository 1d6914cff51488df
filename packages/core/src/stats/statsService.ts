import type { Db } from "@sluice/db";
import { type Clock, systemClock } from "../limits/clock.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";
import { buildSpendReport, type SpendQuery, type SpendReport } from "./spendReport.ts";
import { type UsageStats, usageStats } from "./usageStats.ts";

const DAY_MS = 86_400_000;

/** A tenant's usage figures over a trailing period. */
export interface StatsService {
  /** Usage, cost, cache and cascade figures of the last `days` days. */
  usage(tenantId: string, days: number): Promise<UsageStats>;
  /**
   * Spend grouped by tenant, key, end user, model and day (batches and cache savings included):
   * a tenant's own (`tenantId`), or every tenant's when it is absent (admins).
   */
  spend(query: SpendQuery): Promise<SpendReport>;
}

/** Builds the stats service; the period ends at the clock's now. */
export function createStatsService(deps: { db: Db; clock?: Clock; registry: ModelRegistry }): StatsService {
  const clock = deps.clock ?? systemClock;
  return {
    usage: (tenantId, days) => usageStats(deps.db, tenantId, new Date(clock.now() - days * DAY_MS)),
    spend: (query) => buildSpendReport({ db: deps.db, registry: deps.registry, now: clock.now() }, query),
  };
}
