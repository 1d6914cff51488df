import type { Db } from "@sluice/db";
import { type Clock, systemClock } from "../limits/clock.ts";
import { type UsageStats, usageStats } from "./usageStats.ts";

const DAY_MS = 86_400_000;

/** A tenant's usage figures over a trailing period. */
export interface StatsService {
  /** Usage, cost, cache and cascade figures of the last `days` days. */
  usage(tenantId: string, days: number): Promise<UsageStats>;
}

/** Builds the stats service; the period ends at the clock's now. */
export function createStatsService(deps: { db: Db; clock?: Clock }): StatsService {
  const clock = deps.clock ?? systemClock;
  return {
    usage: (tenantId, days) => usageStats(deps.db, tenantId, new Date(clock.now() - days * DAY_MS)),
  };
}
