import {
  type AttemptEnd,
  failureOf,
  type JobCatalog,
  type JobLifecycle,
  parseOrThrow,
  type RunningAttempt,
  SluiceError,
} from "@sluice/core";
import { isDatabaseUnavailable } from "@sluice/db";
import type { Logger } from "pino";
import type { JobHandlers } from "../handlers/jobHandler.ts";

/** Why a running job's signal fired, when it was not a failure of its own. */
export const CANCELLED = Symbol("cancelled");
export const SHUTDOWN = Symbol("shutdown");

/** A job running in this process. */
export interface RunningJob {
  attempt: RunningAttempt;
  controller: AbortController;
}

/** Runs attempts: validates the payload, runs the handler under its time limits, records the end. */
export function createAttemptRunner(deps: {
  catalog: JobCatalog;
  handlers: JobHandlers;
  lifecycle: JobLifecycle;
  logger: Logger;
  /** Told how each attempt ended (metrics, retry wake-ups). */
  onEnd?: (attempt: RunningAttempt, end: AttemptEnd, ms: number) => void;
}) {
  const running = new Map<string, RunningJob>();
  const inFlight = new Set<Promise<void>>();

  /**
   * Runs one attempt to its end; never throws. `handlerDone` is called once, as soon as the handler
   * has settled (its slot can take the next job while the outcome is written).
   */
  async function run(attempt: RunningAttempt, handlerDone: () => void = () => {}): Promise<void> {
    const { job } = attempt;
    const controller = new AbortController();
    running.set(job.id, { attempt, controller });
    const started = performance.now();
    const spec = deps.catalog.get(job.kind);
    const handler = deps.handlers[job.kind];
    let end: AttemptEnd;
    // One timer per attempt: it fires at the soft limit (rarely), then again at the hard one.
    let timer: NodeJS.Timeout | undefined;
    let abandoned: SluiceError | undefined;
    let jobLogger: Logger | undefined;
    try {
      if (!spec || !handler) {
        throw new SluiceError("internal_error", `this worker has no handler for job kind "${job.kind}"`, {
          retriable: false,
        });
      }
      // Payloads are checked again before each attempt: one that no longer validates never runs.
      const payload = parseOrThrow(spec.payload, job.payload, `${job.kind} payload`);
      const result = await new Promise<unknown>((resolve, reject) => {
        timer = setTimeout(() => {
          deps.logger.warn(
            {
              jobId: job.id,
              kind: job.kind,
              attempt: attempt.attempt,
              softTimeLimitSeconds: spec.softTimeLimitSeconds,
            },
            "job reached its soft time limit; aborting it",
          );
          controller.abort(
            new SluiceError("timeout", `the job ran past its time limit of ${spec.softTimeLimitSeconds} s`),
          );
          // A handler that ignores its signal is abandoned at the hard limit; pg-boss expires the attempt.
          timer = setTimeout(
            () => {
              abandoned = new SluiceError(
                "timeout",
                `the job ran past its hard time limit of ${spec.timeLimitSeconds} s`,
              );
              reject(abandoned);
            },
            Math.max(0, spec.timeLimitSeconds - spec.softTimeLimitSeconds) * 1000,
          );
        }, spec.softTimeLimitSeconds * 1000);
        handler(payload, {
          job,
          attempt: attempt.attempt,
          signal: controller.signal,
          // Made on first use: most handlers never log, and a child logger per job is not free.
          get logger() {
            jobLogger ??= deps.logger.child({ jobId: job.id, kind: job.kind });
            return jobLogger;
          },
          progress: (percent, message) => {
            void deps.lifecycle
              .progress(attempt, percent, message)
              .catch((error: unknown) =>
                deps.logger.warn({ err: error, jobId: job.id }, "progress could not be written"),
              );
          },
        }).then(resolve, reject);
      });
      end = { kind: "completed", result: result ?? null };
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      if (reason === CANCELLED) end = { kind: "cancelled" };
      else if (reason === SHUTDOWN) end = { kind: "released" };
      else if (abandoned) end = { kind: "failed", error: abandoned };
      else end = { kind: "failed", error: failureOf(reason instanceof SluiceError ? reason : error) };
    } finally {
      clearTimeout(timer);
      handlerDone();
    }
    try {
      await recordEnd(attempt, end, spec?.timeLimitSeconds ?? 0);
    } catch (error) {
      // The attempt stays active in pg-boss: it expires at its hard limit and runs again.
      deps.logger.error({ err: error, jobId: job.id }, "the end of a job attempt could not be recorded");
    } finally {
      running.delete(job.id);
    }
    if (end.kind === "failed" && !end.error.retriable) {
      deps.logger.warn({ jobId: job.id, kind: job.kind, code: end.error.code }, end.error.message);
    }
    deps.onEnd?.(attempt, end, performance.now() - started);
  }

  /**
   * Records how an attempt ended. While the database is unreachable the write is retried, with
   * backoff, until shortly before the attempt's hard limit: an outcome computed is not thrown away
   * because Postgres restarted. Past that limit pg-boss expires the attempt and runs the job again.
   */
  async function recordEnd(attempt: RunningAttempt, end: AttemptEnd, timeLimitSeconds: number) {
    const giveUpAt = attempt.startedAt.getTime() + (timeLimitSeconds - 1) * 1000;
    for (let delay = 100, warned = false; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await deps.lifecycle.finish(attempt, end);
      } catch (error) {
        if (!isDatabaseUnavailable(error) || Date.now() + delay >= giveUpAt) throw error;
        if (!warned) {
          warned = true;
          deps.logger.warn(
            { err: error, jobId: attempt.job.id },
            "the database is unreachable; retrying the end of a job attempt",
          );
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  return {
    run(attempt: RunningAttempt, handlerDone?: () => void): Promise<void> {
      const promise = run(attempt, handlerDone);
      inFlight.add(promise);
      void promise.finally(() => inFlight.delete(promise));
      return promise;
    },
    /** Resolves when every attempt started so far has ended and been recorded. */
    async whenSettled(): Promise<void> {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    running,
    /** Aborts a running job because it was cancelled. */
    cancel(jobId: string): boolean {
      const found = running.get(jobId);
      if (!found) return false;
      found.controller.abort(CANCELLED);
      return true;
    },
    /** Aborts every running job so it goes back to the queue. */
    abortAll(): void {
      for (const { controller } of running.values()) controller.abort(SHUTDOWN);
    },
  };
}

/** The attempt runner of a worker. */
export type AttemptRunner = ReturnType<typeof createAttemptRunner>;
