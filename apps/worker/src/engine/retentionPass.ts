import {
  type Db,
  deleteBudgetLeasesBefore,
  deleteBudgetPeriodsBefore,
  deleteExpiredCacheEntries,
  deleteFinishedJobsBefore,
  deleteIncompleteUploadsBefore,
  deleteJobEventsBefore,
  deleteKeyRateWindowsBefore,
  deleteRateLimitWindowsBefore,
  deleteWebhookDeliveriesBefore,
  rollUpLlmCallsBefore,
  withMaintenanceLock,
} from "@sluice/db";
import type { Logger } from "pino";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** How long each table keeps its rows, in days (decimals allowed). */
export interface RetentionSettings {
  /** Finished jobs (completed, cancelled, dead), with their events, deliveries and dead-letter rows. */
  jobsDays: number;
  jobEventsDays: number;
  webhookDeliveriesDays: number;
  /** Call-log rows older than this are rolled into `llm_usage_daily` and deleted. */
  llmCallsDays: number;
  /** Rows one statement deletes at most: a backlog is worked off in short transactions. */
  chunkRows: number;
}

/** The defaults of {@link RetentionSettings} (those of the configuration). */
export const DEFAULT_RETENTION: RetentionSettings = {
  jobsDays: 30,
  jobEventsDays: 14,
  webhookDeliveriesDays: 14,
  llmCallsDays: 90,
  chunkRows: 5_000,
};

/** Tables the pass deletes from (the names its metric carries). */
export type RetentionTable =
  | "llm_cache"
  | "llm_calls"
  | "webhook_deliveries"
  | "job_events"
  | "jobs"
  | "budget_leases"
  | "budget_spend"
  | "rate_limit_windows"
  | "api_key_rate_windows"
  | "files";

/** What one pass did: skipped (another worker held the lock) or rows deleted per table. */
export type RetentionOutcome =
  | { ran: false }
  | { ran: true; deleted: Partial<Record<RetentionTable, number>> };

/** One table's deletion: a statement that deletes at most `limit` rows older than the cutoff. */
interface TableStep {
  table: RetentionTable;
  run(db: Db, limit: number): Promise<number>;
  /** Deletes everything in one statement (small tables whose rows are few by construction). */
  whole?: boolean;
}

function steps(settings: RetentionSettings, now: number): TableStep[] {
  const ago = (ms: number) => new Date(now - ms);
  const settledDay = ago(2 * DAY_MS)
    .toISOString()
    .slice(0, 10);
  return [
    { table: "llm_cache", run: (db, limit) => deleteExpiredCacheEntries(db, new Date(now), limit) },
    {
      table: "llm_calls",
      run: (db, limit) => rollUpLlmCallsBefore(db, ago(settings.llmCallsDays * DAY_MS), limit),
    },
    {
      table: "jobs",
      run: (db, limit) => deleteFinishedJobsBefore(db, ago(settings.jobsDays * DAY_MS), limit),
    },
    {
      table: "job_events",
      run: (db, limit) => deleteJobEventsBefore(db, ago(settings.jobEventsDays * DAY_MS), limit),
    },
    {
      table: "webhook_deliveries",
      run: (db, limit) =>
        deleteWebhookDeliveriesBefore(db, ago(settings.webhookDeliveriesDays * DAY_MS), limit),
    },
    {
      // Yesterday's slices may still be settling; older settled ones are history.
      table: "budget_leases",
      run: (db) => deleteBudgetLeasesBefore(db, settledDay),
      whole: true,
    },
    {
      // Key, end-user and monthly budget periods over by then, with their alert marks.
      table: "budget_spend",
      run: (db) => deleteBudgetPeriodsBefore(db, settledDay),
      whole: true,
    },
    {
      // A window counts one minute; an hour back leaves room for clocks that disagree.
      table: "rate_limit_windows",
      run: (db) => deleteRateLimitWindowsBefore(db, ago(HOUR_MS)),
      whole: true,
    },
    { table: "api_key_rate_windows", run: (db) => deleteKeyRateWindowsBefore(db, ago(HOUR_MS)), whole: true },
    {
      // An upload still unfinished after an hour lost its API process mid-way: nothing will finish it.
      table: "files",
      run: (db, limit) => deleteIncompleteUploadsBefore(db, ago(HOUR_MS), limit),
    },
  ];
}

/**
 * Deletes (and for the call log, rolls up) every row past its retention at `now`, table by table
 * in chunks of `chunkRows`, while holding the maintenance lock: when another worker's pass holds
 * it, this one does nothing. A table that fails is logged and the others still run.
 */
export async function runRetentionPass(options: {
  db: Db;
  settings: RetentionSettings;
  now: number;
  logger: Logger;
  /** Told after each chunk deleted rows. */
  onDeleted?: (table: RetentionTable, rows: number) => void;
  /** Asked between chunks: true ends the pass early (the worker is stopping). */
  stopping?: () => boolean;
}): Promise<RetentionOutcome> {
  const { settings, logger } = options;
  const chunk = Math.max(1, settings.chunkRows);
  return withMaintenanceLock(options.db, async (db) => {
    const deleted: Partial<Record<RetentionTable, number>> = {};
    for (const step of steps(settings, options.now)) {
      if (options.stopping?.()) break;
      let total = 0;
      try {
        for (;;) {
          const rows = await step.run(db, chunk);
          total += rows;
          if (rows > 0) options.onDeleted?.(step.table, rows);
          if (step.whole || rows < chunk || options.stopping?.()) break;
        }
      } catch (error) {
        logger.warn({ err: error, table: step.table }, "could not delete rows past their retention");
      }
      if (total > 0) {
        deleted[step.table] = total;
        logger.info({ table: step.table, deleted: total }, "deleted rows past their retention");
      }
    }
    return deleted;
  }).then((outcome) => (outcome.ran ? { ran: true, deleted: outcome.value } : { ran: false }));
}
