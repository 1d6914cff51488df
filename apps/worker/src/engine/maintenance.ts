import { type Clock, scheduleOn, systemClock } from "@sluice/core";
import {
  analyzeQueueTable,
  type Db,
  deleteBudgetLeasesBefore,
  deleteIncompleteUploadsBefore,
  deleteJobEventsBefore,
  deleteRateLimitWindowsBefore,
  staleQueueTables,
} from "@sluice/db";
import type { Logger } from "pino";

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
 * Background upkeep of a worker: job-event retention, settled budget leases of past days, rate-limit
 * windows of past hours, file uploads cut off over an hour ago, and fresh planner statistics for the
 * queues.
 */
export function startMaintenance(options: {
  db: Db;
  queues: string[];
  eventRetentionDays: number;
  logger: Logger;
  /** How often statistics are checked (default 5 s). */
  statisticsCheckMs?: number;
  /** How often old events, budget leases, rate windows and cut-off uploads are deleted (default 10 min). */
  retentionCheckMs?: number;
  /** Decides what is old and when checks run (tests move it). */
  clock?: Clock;
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
  async function deleteOldRows(): Promise<void> {
    const now = clock.now();
    try {
      const before = new Date(now - options.eventRetentionDays * 86_400_000);
      const deleted = await deleteJobEventsBefore(options.db, before);
      if (deleted > 0) options.logger.info({ deleted, before }, "deleted old job events");
      // Yesterday's slices may still be settling; older settled ones are history.
      const leasesBefore = new Date(now - 2 * 86_400_000).toISOString().slice(0, 10);
      const leases = await deleteBudgetLeasesBefore(options.db, leasesBefore);
      if (leases > 0)
        options.logger.info({ deleted: leases, before: leasesBefore }, "deleted old budget leases");
      // A window counts one minute; an hour back leaves room for clocks that disagree.
      const windows = await deleteRateLimitWindowsBefore(options.db, new Date(now - 3_600_000));
      if (windows > 0) options.logger.debug({ deleted: windows }, "deleted old rate-limit windows");
      // An upload still unfinished after an hour lost its API process mid-way: nothing will finish it.
      const uploads = await deleteIncompleteUploadsBefore(options.db, new Date(now - 3_600_000));
      if (uploads > 0) options.logger.info({ deleted: uploads }, "deleted file uploads that were cut off");
    } catch (error) {
      options.logger.warn(
        { err: error },
        "could not delete old job events, budget leases, rate windows or cut-off uploads",
      );
    }
  }
  void refreshStatistics();
  const stopStatistics = every(clock, options.statisticsCheckMs ?? 5_000, () => void refreshStatistics());
  const stopRetention = every(clock, options.retentionCheckMs ?? 600_000, () => void deleteOldRows());
  return {
    /** Checks statistics now (after a burst of enqueues, say). */
    refreshStatistics,
    /** Deletes what is past retention now. */
    deleteOldRows,
    stop() {
      stopStatistics();
      stopRetention();
    },
  };
}
