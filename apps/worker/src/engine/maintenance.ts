import { type Clock, scheduleOn, systemClock } from "@sluice/core";
import { analyzeQueueTable, type Db, staleQueueTables } from "@sluice/db";
import type { Logger } from "pino";
import {
  DEFAULT_RETENTION,
  type RetentionOutcome,
  type RetentionSettings,
  type RetentionTable,
  runRetentionPass,
} from "./retentionPass.ts";

/** Runs `fn` every `ms` on `clock` until the returned function is called. */
function every(clock: Clock, ms: number, fn: () => void): () => void {
  let cancel = scheduleOn(clock, tick, ms);
  function tick() {
    cancel = scheduleOn(clock, tick, ms);
    fn();
  }
  return () => cancel();
}

/**
 * Background upkeep of a worker: fresh planner statistics for the queues, and a retention pass (one
 * worker at a time, see {@link runRetentionPass}) that deletes expired cache entries, rolls old call-log
 * rows into daily usage, and deletes finished jobs, job events, webhook deliveries, settled budget
 * leases of past days, rate-limit windows of past hours and file uploads cut off over an hour ago.
 */
export function startMaintenance(options: {
  db: Db;
  queues: string[];
  eventRetentionDays: number;
  /** The other retentions (default {@link DEFAULT_RETENTION}); `jobEventsDays` is `eventRetentionDays`. */
  retention?: Partial<Omit<RetentionSettings, "jobEventsDays">>;
  logger: Logger;
  /** How often statistics are checked (default 5 s). */
  statisticsCheckMs?: number;
  /** How often the retention pass runs (default 10 min). */
  retentionCheckMs?: number;
  /** Decides what is old and when checks run (tests move it). */
  clock?: Clock;
  /** Told after rows of a table were deleted (the worker's metric). */
  onDeleted?: (table: RetentionTable, rows: number) => void;
  /** Told how each retention pass ended: ran, skipped (another worker's pass held the lock) or failed. */
  onPass?: (outcome: "ran" | "skipped" | "failed") => void;
}) {
  const clock = options.clock ?? systemClock;
  let analyzing = false;
  async function refreshStatistics(): Promise<void> {
    if (analyzing) return;
    analyzing = true;
    try {
      for (const table of await staleQueueTables(options.db)) {
        const started = performance.now();
        await analyzeQueueTable(options.db, table);
        options.logger.debug(
          { table, ms: Math.round(performance.now() - started) },
          "refreshed queue statistics",
        );
      }
    } catch (error) {
      options.logger.warn({ err: error }, "could not refresh queue statistics");
    } finally {
      analyzing = false;
    }
  }
  const settings: RetentionSettings = {
    ...DEFAULT_RETENTION,
    ...options.retention,
    jobEventsDays: options.eventRetentionDays,
  };
  let stopped = false;
  let passing: Promise<RetentionOutcome | undefined> | undefined;
  async function pass(): Promise<RetentionOutcome | undefined> {
    try {
      const outcome = await runRetentionPass({
        db: options.db,
        settings,
        now: clock.now(),
        logger: options.logger,
        stopping: () => stopped,
        ...(options.onDeleted ? { onDeleted: options.onDeleted } : {}),
      });
      options.onPass?.(outcome.ran ? "ran" : "skipped");
      return outcome;
    } catch (error) {
      options.onPass?.("failed");
      options.logger.warn({ err: error }, "retention pass failed");
      return undefined;
    }
  }
  /** Runs a retention pass now, or joins the one running in this process. */
  function deleteOldRows(): Promise<RetentionOutcome | undefined> {
    passing ??= pass().finally(() => {
      passing = undefined;
    });
    return passing;
  }
  void refreshStatistics();
  const stopStatistics = every(clock, options.statisticsCheckMs ?? 5_000, () => void refreshStatistics());
  const stopRetention = every(clock, options.retentionCheckMs ?? 600_000, () => void deleteOldRows());
  return {
    /** Checks statistics now (after a burst of enqueues, say). */
    refreshStatistics,
    /** Deletes what is past retention now (undefined: the pass failed). */
    deleteOldRows,
    stop() {
      stopped = true;
      stopStatistics();
      stopRetention();
    },
  };
}
