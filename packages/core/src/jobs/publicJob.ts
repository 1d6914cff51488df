import type { Job, JobEvent, JobStatus } from "@sluice/db";
import { type JobPriority, jobPriorities } from "./jobCatalog.ts";

/** A job as callers see it. */
export interface PublicJob {
  id: string;
  kind: string;
  status: JobStatus;
  priority: JobPriority | number;
  progress: number;
  progressMessage: string | null;
  payload: unknown;
  result: unknown;
  error: { code: string; message: string } | null;
  attempts: number;
  maxAttempts: number;
  idempotencyKey: string | null;
  webhookUrl: string | null;
  /** The dead job this one was requeued from. */
  requeuedFrom: string | null;
  /** When this (dead) job was requeued as a new one. */
  requeuedAt: Date | null;
  runAt: Date;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A job event as subscribers see it. */
export interface PublicJobEvent {
  id: number;
  jobId: string;
  type: JobEvent["type"];
  data: Record<string, unknown>;
  at: Date;
}

const priorityNames = new Map<number, JobPriority>(
  Object.entries(jobPriorities).map(([name, value]) => [value, name as JobPriority]),
);

/** The named priority of a stored one (or the number, when it has no name). */
export function priorityName(priority: number): JobPriority | number {
  return priorityNames.get(priority) ?? priority;
}

/** The public view of a stored job. */
export function publicJob(job: Job): PublicJob {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    priority: priorityName(job.priority),
    progress: job.progress,
    progressMessage: job.progressMessage,
    payload: job.payload,
    result: job.result ?? null,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? "" } : null,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    idempotencyKey: job.idempotencyKey,
    webhookUrl: job.webhookUrl,
    requeuedFrom: job.requeuedFrom,
    requeuedAt: job.requeuedAt,
    runAt: job.runAt,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

/** The public view of a stored event. */
export function publicJobEvent(event: JobEvent): PublicJobEvent {
  return { id: event.id, jobId: event.jobId, type: event.type, data: event.data, at: event.createdAt };
}

/** Statuses a job never leaves. */
export const terminalStatuses: readonly JobStatus[] = ["completed", "cancelled", "dead"];

/** Event types that end a job's history (until a requeue starts a new job). */
export const terminalEventTypes: readonly JobEvent["type"][] = ["completed", "cancelled", "dead"];
