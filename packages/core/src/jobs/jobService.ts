import {
  cancelJobRow,
  type Db,
  ensureTenantWebhookSecret,
  findJob,
  findJobsByIdempotencyKey,
  insertJobEvents,
  type JobPage,
  type JobQueue,
  type JobStatus,
  listJobEvents,
  listJobs,
  lockJob,
  type NewJob,
  notifyJobCancel,
} from "@sluice/db";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";
import { createOutboundGuard, type OutboundGuard } from "../outbound/outboundGuard.ts";
import { storableDate } from "../schemas/dateFields.ts";
import { boundedText, webhookUrlSchema } from "../schemas/textFields.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { requeueJobs } from "./deadLetters.ts";
import { type JobCatalog, type JobKindSpec, jobPriorities } from "./jobCatalog.ts";
import { newJobId } from "./jobIds.ts";
import { enqueueJobWebhooks, enqueueRows } from "./jobWebhooks.ts";
import { type PublicJob, type PublicJobEvent, publicJob, publicJobEvent } from "./publicJob.ts";
import { generateWebhookSecret } from "./webhookSignature.ts";

/** Most jobs one enqueue call may create. */
export const MAX_JOBS_PER_ENQUEUE = 1000;

/** What callers send to enqueue a job. */
export const enqueueInputSchema = z.strictObject({
  kind: z.string().min(1).max(100),
  payload: z.unknown(),
  priority: z.enum(["high", "default", "low"]).optional(),
  /** The same key (per tenant) returns the job created first instead of a new one. */
  idempotencyKey: boundedText(200).optional(),
  /** Run no earlier than this. */
  runAt: storableDate().optional(),
  /** Also post this job's final event here (signed like the tenant's webhook). */
  webhookUrl: webhookUrlSchema.optional(),
});
/** A job to enqueue. */
export type EnqueueInput = z.input<typeof enqueueInputSchema>;

const jobStatusSchema = z.enum(["queued", "active", "completed", "failed", "cancelled", "dead"]);

/** Filters and paging of a job listing. */
export const jobListQuerySchema = z.strictObject({
  limit: z.int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  kind: boundedText(100, 0).optional(),
  status: jobStatusSchema.optional(),
  createdAfter: storableDate().optional(),
  createdBefore: storableDate().optional(),
});

/** Who is asking: a tenant (sees only its own jobs) or the system/admin (`tenantId` null). */
export interface JobScope {
  tenantId: string | null;
  requestId?: string | undefined;
  /** The API key queueing the job; its runs are charged to it as well as to the tenant. */
  apiKeyId?: string | undefined;
}

/** Whose jobs a caller reads: its tenant's, or with an admin key every tenant's (operators follow requeues). */
export function jobReadScope(principal: { role: string; tenant: { id: string } }): JobScope {
  return { tenantId: principal.role === "admin" ? null : principal.tenant.id };
}

/** A job kind as callers see it in the catalog. */
export interface PublicJobKind {
  kind: string;
  description: string;
  priority: string;
  maxAttempts: number;
  timeLimitSeconds: number;
}

/** Where a job ended: its result once completed, its error once dead. */
export type JobOutcome = Pick<PublicJob, "id" | "status" | "result" | "error" | "finishedAt">;

/** Enqueueing, reading and cancelling jobs; the worker runs them. */
export interface JobService {
  /** The kinds callers may enqueue (internal kinds left out). */
  kinds(): PublicJobKind[];
  /** A job's outcome: its result once completed, its error once dead. */
  outcome(scope: JobScope, id: string): Promise<JobOutcome>;
  enqueue(scope: JobScope, input: unknown): Promise<{ job: PublicJob; created: boolean }>;
  enqueueMany(scope: JobScope, inputs: unknown[]): Promise<{ job: PublicJob; created: boolean }[]>;
  /** Enqueues inside the caller's transaction: the job exists only if that transaction commits. */
  enqueueIn(tx: Db, scope: JobScope, input: unknown): Promise<{ job: PublicJob; created: boolean }>;
  get(scope: JobScope, id: string): Promise<PublicJob>;
  list(scope: JobScope, query: unknown): Promise<{ items: PublicJob[]; nextCursor: string | null }>;
  cancel(scope: JobScope, id: string): Promise<PublicJob>;
  /** Judges webhook URLs before they are stored (and the worker again before it posts). */
  readonly outbound: OutboundGuard;
  /** Runs a dead or cancelled job again as a new job linked to it. */
  retry(scope: JobScope, id: string): Promise<PublicJob>;
  /** A job's events after `afterId`, oldest first. */
  events(scope: JobScope, id: string, afterId?: number): Promise<PublicJobEvent[]>;
  readonly catalog: JobCatalog;
}

const UUID = z.uuid();

function notFound(id: string): SluiceError {
  return new SluiceError("not_found", `job ${id} not found`, { details: { jobId: id } });
}

/** Parses a job id, or not_found for anything that is not one (no hint about what exists). */
export function parseJobId(id: unknown): string {
  const parsed = UUID.safeParse(id);
  if (!parsed.success)
    throw new SluiceError("validation_error", "invalid job id: must be a UUID", {
      details: { issues: [{ path: "id", message: "must be a UUID" }] },
    });
  return parsed.data;
}

/** The kind's spec, refusing unknown kinds and (for tenants) internal ones. */
export function kindFor(catalog: JobCatalog, kind: string, scope: JobScope): JobKindSpec {
  const spec = catalog.get(kind);
  if (!spec || (spec.internal && scope.tenantId !== null)) {
    const known = catalog
      .list()
      .filter((k) => !k.internal)
      .map((k) => k.kind);
    throw new SluiceError("validation_error", `invalid job: kind: unknown job kind "${kind}"`, {
      details: { issues: [{ path: "kind", message: `must be one of ${known.join(", ")}` }] },
    });
  }
  return spec;
}

/** Validates a job to enqueue into a mirror row (payload checked against its kind). */
function toRow(catalog: JobCatalog, scope: JobScope, raw: unknown, index?: number): NewJob {
  const where = index === undefined ? "job" : `job ${index}`;
  const input = parseOrThrow(enqueueInputSchema, raw, where);
  const spec = kindFor(catalog, input.kind, scope);
  const payload = parseOrThrow(spec.payload, input.payload, `${input.kind} payload`);
  return {
    id: newJobId(),
    tenantId: scope.tenantId,
    kind: spec.kind,
    queue: spec.kind,
    priority: jobPriorities[input.priority ?? spec.priority],
    payload: JSON.stringify(payload),
    maxAttempts: spec.retryLimit + 1,
    idempotencyKey: input.idempotencyKey ?? null,
    webhookUrl: input.webhookUrl ?? null,
    requestId: scope.requestId ?? null,
    apiKeyId: scope.apiKeyId ?? null,
    ...(input.runAt ? { runAt: input.runAt } : {}),
  };
}

/**
 * Creates the job service over a database and the queue. Webhook URLs must reach public addresses
 * unless `outbound` (a guard from the settings) allows private ones.
 */
export function createJobService(deps: {
  db: Db;
  queue: JobQueue;
  catalog: JobCatalog;
  outbound?: OutboundGuard | undefined;
}): JobService {
  const { db, queue, catalog } = deps;
  const outbound = deps.outbound ?? createOutboundGuard();
  const tenantOf = (scope: JobScope) => scope.tenantId ?? undefined;

  /** Refuses the rows' webhook URLs that reach no public address (each distinct URL judged once). */
  async function checkWebhookUrls(rows: NewJob[]) {
    const urls = new Set(rows.flatMap((r) => (r.webhookUrl ? [r.webhookUrl] : [])));
    await Promise.all([...urls].map((url) => outbound.assertAllowed(url, "webhookUrl")));
  }

  async function enqueueMany(scope: JobScope, inputs: unknown[]) {
    if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_JOBS_PER_ENQUEUE) {
      throw new SluiceError("validation_error", `invalid jobs: must be 1 to ${MAX_JOBS_PER_ENQUEUE} jobs`);
    }
    // Every job valid, or none queued.
    const rows = inputs.map((raw, i) => toRow(catalog, scope, raw, inputs.length > 1 ? i : undefined));
    await checkWebhookUrls(rows);
    return db.transaction().execute((tx) => enqueueRowsIn(tx, scope, rows));
  }

  async function enqueueRowsIn(tx: Db, scope: JobScope, rows: NewJob[]) {
    {
      // Job webhooks are signed with the tenant's secret: a tenant that never set one gets one now.
      if (scope.tenantId && rows.some((r) => r.webhookUrl)) {
        await ensureTenantWebhookSecret(tx, scope.tenantId, generateWebhookSecret());
      }
      const inserted = await enqueueRows(tx, queue, rows);
      const byId = new Map(inserted.map((j) => [j.id, j]));
      const keys = rows.filter((r) => !byId.has(r.id) && r.idempotencyKey).map((r) => r.idempotencyKey!);
      const existing = new Map(
        (await findJobsByIdempotencyKey(tx, scope.tenantId, keys)).map((j) => [j.idempotencyKey, j]),
      );
      return rows.map((row) => {
        const created = byId.get(row.id);
        if (created) return { job: publicJob(created), created: true };
        const found = existing.get(row.idempotencyKey ?? null);
        if (!found) throw new SluiceError("conflict", "the job could not be queued; try again");
        return { job: publicJob(found), created: false };
      });
    }
  }

  return {
    catalog,
    outbound,
    kinds: () =>
      catalog
        .list()
        .filter((k) => !k.internal)
        .map((k) => ({
          kind: k.kind,
          description: k.description,
          priority: k.priority,
          maxAttempts: k.retryLimit + 1,
          timeLimitSeconds: k.timeLimitSeconds,
        })),
    async outcome(scope, id) {
      const job = await findJob(db, parseJobId(id), tenantOf(scope));
      if (!job) throw notFound(id);
      const { status, result, error, finishedAt } = publicJob(job);
      return { id: job.id, status, result, error, finishedAt };
    },
    async enqueue(scope, input) {
      const [first] = await enqueueMany(scope, [input]);
      return first!;
    },
    enqueueMany,
    async enqueueIn(tx, scope, input) {
      const row = toRow(catalog, scope, input);
      await checkWebhookUrls([row]);
      const [first] = await enqueueRowsIn(tx, scope, [row]);
      return first!;
    },
    async get(scope, id) {
      const job = await findJob(db, parseJobId(id), tenantOf(scope));
      if (!job) throw notFound(id);
      return publicJob(job);
    },
    async list(scope, query) {
      const q = parseOrThrow(jobListQuerySchema, query ?? {}, "job query");
      const page: JobPage = await listJobs(db, tenantOf(scope), q);
      return { items: page.items.map(publicJob), nextCursor: page.nextCursor };
    },
    async cancel(scope, id) {
      const jobId = parseJobId(id);
      return db.transaction().execute(async (tx) => {
        const cancelled = await cancelJobRow(tx, jobId, tenantOf(scope));
        if (!cancelled) {
          const job = await findJob(tx, jobId, tenantOf(scope));
          if (!job) throw notFound(jobId);
          throw new SluiceError("conflict", `job ${jobId} is already ${job.status}`, {
            details: { jobId, status: job.status satisfies JobStatus },
          });
        }
        await queue.cancel(tx, cancelled.queue, cancelled.id);
        await insertJobEvents(tx, [{ jobId, tenantId: cancelled.tenantId, type: "cancelled" }]);
        await enqueueJobWebhooks(tx, queue, catalog, [cancelled]);
        await notifyJobCancel(tx, jobId);
        return publicJob(cancelled);
      });
    },
    async retry(scope, id) {
      const jobId = parseJobId(id);
      return db.transaction().execute(async (tx) => {
        const job = await lockJob(tx, jobId, tenantOf(scope));
        if (!job) throw notFound(jobId);
        if ((job.status !== "dead" && job.status !== "cancelled") || job.requeuedAt) {
          throw new SluiceError(
            "conflict",
            job.requeuedAt
              ? `job ${jobId} was already retried`
              : `job ${jobId} is ${job.status}; only dead or cancelled jobs can be retried`,
            { details: { jobId, status: job.status } },
          );
        }
        const { requeued } = await requeueJobs(tx, queue, catalog, [job]);
        return requeued[0]!.job;
      });
    },
    async events(scope, id, afterId = 0) {
      const jobId = parseJobId(id);
      if (!(await findJob(db, jobId, tenantOf(scope)))) throw notFound(jobId);
      return (await listJobEvents(db, jobId, afterId)).map(publicJobEvent);
    },
  };
}
