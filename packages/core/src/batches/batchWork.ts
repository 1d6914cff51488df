import type { Batch, Db } from "@sluice/db";
import type { JobService } from "../jobs/jobService.ts";
import type { BudgetAlerts } from "../limits/budgetGuard.ts";
import type { Clock } from "../limits/clock.ts";
import type { BatchRuntime } from "./batchTarget.ts";

/** Results written per transaction while reading a finished provider batch. */
export const RESULT_CHUNK = 500;

/** Follow-up provider batches a request may get after retriable errors, unless configured. */
export const DEFAULT_BATCH_RETRIES = 2;

/** What the batch jobs need. */
export interface BatchWorkDeps {
  db: Db;
  jobs: JobService;
  runtime: BatchRuntime;
  /** Time between polls of a submitted batch. */
  pollIntervalMs: number;
  /** Raises soft budget alerts as a batch's spend is booked (none when absent). */
  alerts?: BudgetAlerts | undefined;
  /** Times a request that failed with a retriable provider error is sent again (per tier). */
  maxRetries?: number | undefined;
  /** When polls fall due (tests move it); the wall clock by default. */
  clock?: Clock | undefined;
  signal: AbortSignal;
  progress?: ((percent: number, message?: string) => unknown) | undefined;
}

/** True while `locked` is still at the tier and provider batch that `seen` was read at. */
export function sameRun(locked: Batch, seen: Batch): boolean {
  return locked.tier === seen.tier && locked.providerBatchId === seen.providerBatchId;
}
