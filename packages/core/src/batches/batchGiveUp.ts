import { type ErrorCode, isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import { abandonBatch, type BatchWorkDeps, pollBatch, pollLater, submitBatch } from "./batchProcessor.ts";

/** Where the logs of a batch job's failures go (a pino logger fits). */
export interface BatchJobLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One attempt of a batch job, as its worker runs it. */
export interface BatchJobAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Fires on cancel, at the time limit, or when the worker stops; at the time limit its reason is
   * a `timeout` SluiceError.
   */
  signal: AbortSignal;
  progress?: ((percent: number, message?: string) => unknown) | undefined;
  logger: BatchJobLogger;
}

/** What batch jobs need besides their attempt. */
export type BatchJobDeps = Omit<BatchWorkDeps, "signal" | "progress">;

/** What to do after a batch job's attempt failed. */
export type BatchFailureVerdict =
  /** Cancelled or stopping: the attempt is given back and nothing is decided. */
  | { action: "release" }
  /** Try again with backoff: the error may pass and attempts remain. */
  | { action: "retry"; error: SluiceError }
  /** The job cannot succeed (an error retrying cannot fix, or its last attempt): decide the batch's fate. */
  | { action: "giveUp"; retriable: boolean; code: ErrorCode };

/**
 * Judges a failed attempt: anything but a non-retriable SluiceError is retried (database errors
 * included, as `service_unavailable`) while attempts remain; past that the job gives up.
 */
export function judgeBatchFailure(
  error: unknown,
  attempt: { aborted: boolean; attempt: number; maxAttempts: number },
): BatchFailureVerdict {
  if (attempt.aborted) return { action: "release" };
  const retriable = !isSluiceError(error) || error.retriable;
  if (retriable && attempt.attempt < attempt.maxAttempts) {
    const retry = isSluiceError(error)
      ? error
      : new SluiceError("service_unavailable", (error as Error)?.message ?? String(error), { cause: error });
    return { action: "retry", error: retry };
  }
  return { action: "giveUp", retriable, code: isSluiceError(error) ? error.code : "internal_error" };
}

/**
 * Runs one attempt of a batch job of `kind`. Failures are retried while they may pass and attempts
 * remain; once the job cannot succeed, `giveUp` decides the batch's fate instead of leaving it
 * waiting for a job that no longer runs, and the job ends with `{ gaveUp: <code> }`.
 */
export async function runBatchJob<T>(
  deps: BatchJobDeps,
  kind: string,
  attempt: BatchJobAttempt,
  run: () => Promise<T>,
  giveUp: (error: unknown, retriable: boolean) => Promise<void>,
): Promise<T | { gaveUp: ErrorCode }> {
  try {
    return await run();
  } catch (thrown) {
    const maxAttempts = (deps.jobs.catalog.get(kind)?.retryLimit ?? 0) + 1;
    // An attempt stopped at its time limit failed: on the last one the batch's fate is decided
    // like any other failure's, or a poll chain would end with the job and the batch wait forever.
    const timedOut = ranOutOfTime(attempt.signal);
    const error = timedOut ? attempt.signal.reason : thrown;
    const verdict = judgeBatchFailure(error, {
      aborted: attempt.signal.aborted && !timedOut,
      attempt: attempt.attempt,
      maxAttempts,
    });
    if (verdict.action === "release") throw thrown;
    if (verdict.action === "retry") {
      attempt.logger.warn({ err: error, attempt: attempt.attempt }, `${kind} failed; retrying`);
      throw verdict.error;
    }
    attempt.logger.error(
      { err: error, attempt: attempt.attempt },
      `${kind} cannot succeed; giving up on this attempt`,
    );
    await giveUp(error, verdict.retriable);
    return { gaveUp: verdict.code };
  }
}

/** True when the attempt was stopped at its time limit (not cancelled, not given back by a stopping worker). */
function ranOutOfTime(signal: AbortSignal): boolean {
  return signal.aborted && isSluiceError(signal.reason) && signal.reason.code === "timeout";
}

function workDeps(deps: BatchJobDeps, attempt: BatchJobAttempt): BatchWorkDeps {
  return { ...deps, signal: attempt.signal, progress: attempt.progress };
}

/** `batch.submit`: sends the batch to its provider; a submit that cannot succeed fails the batch. */
export function runBatchSubmitJob(
  deps: BatchJobDeps,
  payload: { batchId: string; tier: number },
  attempt: BatchJobAttempt,
) {
  const work = workDeps(deps, attempt);
  return runBatchJob(
    deps,
    "batch.submit",
    attempt,
    () => submitBatch(work, payload),
    (error) => abandonBatch(work, payload.batchId, error),
  );
}

/**
 * `batch.poll`: checks the batch at its provider. A poll that cannot succeed fails the batch; one
 * that outlasted its retries (an outage) is polled again later rather than given up on.
 */
export function runBatchPollJob(
  deps: BatchJobDeps,
  payload: { batchId: string; seq: number },
  attempt: BatchJobAttempt,
) {
  const work = workDeps(deps, attempt);
  return runBatchJob(
    deps,
    "batch.poll",
    attempt,
    () => pollBatch(work, payload),
    (error, retriable) => (retriable ? pollLater(work, payload) : abandonBatch(work, payload.batchId, error)),
  );
}
