import type { AttemptJob } from "@sluice/core";
import type { Logger } from "pino";

/** What a handler gets besides its payload. */
export interface JobContext {
  /** The job: id, kind, tenant and payload. */
  job: AttemptJob;
  /** 1 for the first attempt. */
  attempt: number;
  /** Fires on cancel, at the soft time limit, or when the worker stops: pass it to every call. */
  signal: AbortSignal;
  /** Records progress (0–100) and an optional message; written in the background. */
  progress(percent: number, message?: string): void;
  logger: Logger;
}

/** Runs one kind of job; resolves with its result (stored on the job) or throws. */
// biome-ignore lint/suspicious/noExplicitAny: the payload was parsed by its kind's schema before the handler runs
export type JobHandler = (payload: any, ctx: JobContext) => Promise<unknown>;

/** Handlers by job kind. */
export type JobHandlers = Record<string, JobHandler>;
