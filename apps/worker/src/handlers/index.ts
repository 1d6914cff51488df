import {
  abandonBatch,
  buildWebhook,
  type Guards,
  isSluiceError,
  type JobService,
  type LlmRuntime,
  pollBatch,
  pollLater,
  runChatJob,
  runClassifyBatchJob,
  runClassifyJob,
  runEmbeddingsJob,
  SluiceError,
  submitBatch,
} from "@sluice/core";
import { type Db, findTenantById, insertWebhookDelivery, type Tenant } from "@sluice/db";
import type { JobContext, JobHandlers } from "./jobHandler.ts";

/** What Sluice's handlers call. */
export interface HandlerServices extends Guards {
  db: Db;
  runtime: LlmRuntime;
  /** Signs system alerts (dead letters piling up). */
  alertWebhookSecret?: string | undefined;
  /** Time allowed for a webhook receiver to answer. */
  webhookTimeoutMs?: number;
  /** Schedules batch polls and submissions. */
  jobs: JobService;
  /** Time between polls of a batch at its provider. */
  batchPollMs: number;
}

async function tenantOf(db: Db, ctx: JobContext): Promise<Tenant> {
  const tenant = ctx.job.tenantId ? await findTenantById(db, ctx.job.tenantId) : undefined;
  if (!tenant) throw new SluiceError("not_found", "the job's tenant no longer exists", { retriable: false });
  if (tenant.disabledAt)
    throw new SluiceError("forbidden", "the job's tenant is disabled", { retriable: false });
  return tenant;
}

function pipelineContext(services: HandlerServices, tenant: Tenant, ctx: JobContext) {
  return {
    tenantId: tenant.id,
    db: services.db,
    models: services.runtime.models,
    cascades: services.runtime.cascades,
    signal: ctx.signal,
    logger: ctx.logger,
    jobId: ctx.job.id,
    progress: ctx.progress,
  };
}

/** The handlers of Sluice's job kinds: thin, each calls core. */
export function createHandlers(services: HandlerServices): JobHandlers {
  return {
    "tickets.classify": async (payload: { ticketId: string }, ctx) => {
      const tenant = await tenantOf(services.db, ctx);
      return runClassifyJob(
        pipelineContext(services, tenant, ctx),
        services.runtime.classifierModel,
        payload.ticketId,
      );
    },
    "tickets.classifyBatch": async (payload, ctx) => {
      const tenant = await tenantOf(services.db, ctx);
      return runClassifyBatchJob(
        pipelineContext(services, tenant, ctx),
        services.runtime.classifierModel,
        payload,
      );
    },
    "chat.complete": async (payload, ctx) => {
      const tenant = await tenantOf(services.db, ctx);
      return runChatJob(services, tenant, payload.request, {
        jobId: ctx.job.id,
        signal: ctx.signal,
        stream: payload.stream,
        progress: ctx.progress,
      });
    },
    "embeddings.batch": async (payload, ctx) => {
      const tenant = await tenantOf(services.db, ctx);
      return runEmbeddingsJob(services, tenant, payload, {
        jobId: ctx.job.id,
        signal: ctx.signal,
        progress: ctx.progress,
      });
    },
    "webhook.deliver": (payload, ctx) => deliverWebhook(services, payload, ctx),
    "batch.submit": (payload, ctx) =>
      runBatchJob(
        services,
        ctx,
        "batch.submit",
        () => submitBatch(batchDeps(services, ctx), payload),
        (error) => abandonBatch(batchDeps(services, ctx), payload.batchId, error),
      ),
    "batch.poll": (payload, ctx) =>
      runBatchJob(
        services,
        ctx,
        "batch.poll",
        () => pollBatch(batchDeps(services, ctx), payload),
        (error, retriable) =>
          // A batch whose poll cannot succeed ends failed; one that outlasted its retries is polled again later.
          retriable
            ? pollLater(batchDeps(services, ctx), payload)
            : abandonBatch(batchDeps(services, ctx), payload.batchId, error),
      ),
  };
}

/**
 * Runs a batch job. Its errors are retried with backoff (database errors included); once it cannot
 * succeed (an error that retrying cannot fix, or its last attempt), `giveUp` decides the batch's
 * fate instead of leaving it waiting for a job that no longer runs.
 */
async function runBatchJob(
  services: HandlerServices,
  ctx: JobContext,
  kind: string,
  run: () => Promise<unknown>,
  giveUp: (error: unknown, retriable: boolean) => Promise<void>,
): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    // Cancelled or stopping: the attempt is given back, nothing is decided.
    if (ctx.signal.aborted) throw error;
    const maxAttempts = (services.jobs.catalog.get(kind)?.retryLimit ?? 0) + 1;
    const retriable = !isSluiceError(error) || error.retriable;
    if (retriable && ctx.attempt < maxAttempts) {
      ctx.logger.warn({ err: error, attempt: ctx.attempt }, `${kind} failed; retrying`);
      throw isSluiceError(error)
        ? error
        : new SluiceError("service_unavailable", (error as Error).message ?? String(error), { cause: error });
    }
    ctx.logger.error(
      { err: error, attempt: ctx.attempt },
      `${kind} cannot succeed; giving up on this attempt`,
    );
    await giveUp(error, retriable);
    return { gaveUp: isSluiceError(error) ? error.code : "internal_error" };
  }
}

function batchDeps(services: HandlerServices, ctx: JobContext) {
  return {
    db: services.db,
    jobs: services.jobs,
    runtime: services.runtime,
    pollIntervalMs: services.batchPollMs,
    signal: ctx.signal,
    progress: ctx.progress,
  };
}

/** Posts one signed event; a receiver that fails or answers non-2xx gets it again later. */
async function deliverWebhook(
  services: HandlerServices,
  payload: { url: string; event: string; jobId?: string; batchId?: string; body?: Record<string, unknown> },
  ctx: JobContext,
): Promise<{ statusCode: number }> {
  const request = await buildWebhook(services.db, payload, {
    id: ctx.job.id,
    attempt: ctx.attempt,
    alertSecret: services.alertWebhookSecret,
  });
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(services.webhookTimeoutMs ?? 10_000)]),
    });
    statusCode = response.status;
    await response.body?.cancel().catch(() => {});
    if (statusCode < 200 || statusCode >= 300) error = `the receiver answered HTTP ${statusCode}`;
  } catch (e) {
    error = `the receiver could not be reached: ${(e as Error).message}`;
  }
  await insertWebhookDelivery(services.db, {
    jobId: payload.jobId ?? null,
    deliveryJobId: ctx.job.id,
    tenantId: ctx.job.tenantId,
    url: request.url,
    event: payload.event,
    attempt: ctx.attempt,
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
    delivered: error === null,
  });
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (error)
    throw new SluiceError("service_unavailable", error, { details: { url: request.url, statusCode } });
  return { statusCode: statusCode ?? 0 };
}
