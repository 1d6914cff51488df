import {
  admittedRuns,
  type BatchJobAttempt,
  type BudgetAlerts,
  deliverWebhook,
  type Guards,
  gatedModels,
  type JobService,
  type LlmRuntime,
  type OutboundGuard,
  principalForJob,
  runBatchPollJob,
  runBatchSubmitJob,
  runChatJob,
  runClassifyBatchJob,
  runClassifyJob,
  runEmbeddingsJob,
  type SpendPrincipal,
} from "@sluice/core";
import type { Db } from "@sluice/db";
import type { JobContext, JobHandlers } from "./jobHandler.ts";
import { pinnedWebhookTransport } from "./webhookTransport.ts";

/** What Sluice's handlers call. */
export interface HandlerServices extends Guards {
  db: Db;
  runtime: LlmRuntime;
  /** Signs system alerts (dead letters piling up). */
  alertWebhookSecret?: string | undefined;
  /** Time allowed for a webhook receiver to answer. */
  webhookTimeoutMs?: number;
  /** Judges webhook URLs before each delivery (public addresses only unless the settings allow private ones). */
  outbound?: OutboundGuard | undefined;
  /** Schedules batch polls and submissions. */
  jobs: JobService;
  /** Time between polls of a batch at its provider. */
  batchPollMs: number;
  /** Raises soft budget alerts as provider batches book their spend. */
  budgetAlerts?: BudgetAlerts | undefined;
  /** Follow-up provider batches for requests that failed with a retriable error (core's default if unset). */
  batchMaxRetries?: number | undefined;
}

function pipelineContext(services: HandlerServices, principal: SpendPrincipal, ctx: JobContext) {
  return {
    tenantId: principal.tenant.id,
    db: services.db,
    models: gatedModels(services, principal),
    admit: admittedRuns(services, principal),
    cascades: services.runtime.cascades,
    signal: ctx.signal,
    logger: ctx.logger,
    jobId: ctx.job.id,
    progress: ctx.progress,
  };
}

/** The handlers of Sluice's job kinds: thin, each calls core. */
export function createHandlers(services: HandlerServices): JobHandlers {
  const batchDeps = {
    db: services.db,
    jobs: services.jobs,
    runtime: services.runtime,
    pollIntervalMs: services.batchPollMs,
    maxRetries: services.batchMaxRetries,
    alerts: services.budgetAlerts,
  };
  const batchAttempt = (ctx: JobContext): BatchJobAttempt => ({
    attempt: ctx.attempt,
    signal: ctx.signal,
    progress: ctx.progress,
    logger: ctx.logger,
  });
  const webhookDeps = {
    db: services.db,
    send: pinnedWebhookTransport(services.webhookTimeoutMs),
    alertSecret: services.alertWebhookSecret,
    outbound: services.outbound,
  };
  return {
    "tickets.classify": async (payload: { ticketId: string }, ctx) => {
      const principal = await principalForJob(services.db, ctx.job);
      return runClassifyJob(
        pipelineContext(services, principal, ctx),
        services.runtime.classifierModel,
        payload.ticketId,
      );
    },
    "tickets.classifyBatch": async (payload, ctx) => {
      const principal = await principalForJob(services.db, ctx.job);
      return runClassifyBatchJob(
        pipelineContext(services, principal, ctx),
        services.runtime.classifierModel,
        payload,
      );
    },
    "chat.complete": async (payload, ctx) => {
      const principal = await principalForJob(services.db, ctx.job);
      return runChatJob(services, principal, payload.request, {
        jobId: ctx.job.id,
        signal: ctx.signal,
        stream: payload.stream,
        progress: ctx.progress,
      });
    },
    "embeddings.batch": async (payload, ctx) => {
      const principal = await principalForJob(services.db, ctx.job);
      return runEmbeddingsJob(services, principal, payload, {
        jobId: ctx.job.id,
        signal: ctx.signal,
        progress: ctx.progress,
      });
    },
    "webhook.deliver": (payload, ctx) =>
      deliverWebhook(webhookDeps, payload, {
        id: ctx.job.id,
        tenantId: ctx.job.tenantId,
        attempt: ctx.attempt,
        signal: ctx.signal,
      }),
    "batch.submit": (payload, ctx) => runBatchSubmitJob(batchDeps, payload, batchAttempt(ctx)),
    "batch.poll": (payload, ctx) => runBatchPollJob(batchDeps, payload, batchAttempt(ctx)),
  };
}
