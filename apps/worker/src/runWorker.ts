import path from "node:path";
import {
  ConfigError,
  createBudgetAlerter,
  createBudgetGuard,
  createDeadLetterAlerter,
  createJobService,
  createLlmRuntime,
  createOutboundGuard,
  createRateLimiter,
  describeBudgetAlert,
  jobCatalogFromConfig,
  preloadEncodings,
  type SluiceConfig,
} from "@sluice/core";
import { createDb, resolveDatabase, startJobQueue } from "@sluice/db";
import { pino } from "pino";
import { startWorker, type Worker } from "./engine/worker.ts";
import type { WorkerEnv } from "./env.ts";
import { createHandlers } from "./handlers/index.ts";
import { serveMetrics } from "./metrics/metricsServer.ts";
import { createWorkerMetrics } from "./metrics/workerMetrics.ts";

/** A worker process's parts, started; `stop()` ends them in order. */
export interface RunningWorker {
  worker: Worker;
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** Starts everything a worker process runs: database, queue, model runtime, limits, handlers, metrics. */
export async function runWorker(
  config: SluiceConfig,
  env: WorkerEnv,
  overrides: { concurrency?: number | undefined; kinds?: string[] | undefined } = {},
): Promise<RunningWorker> {
  // cl100k (GPT-4 and older) loads on first use; most models count with o200k.
  preloadEncodings(["o200k_base"]);
  const logger = pino({ level: config.logLevel }).child({ process: "worker", pid: process.pid });
  const catalog = jobCatalogFromConfig(config);
  for (const kind of overrides.kinds ?? env.kinds ?? []) {
    if (!catalog.get(kind)) {
      throw new ConfigError([
        {
          variable: "--queues",
          message: `names an unknown job kind "${kind}" (known: ${catalog
            .list()
            .map((k) => k.kind)
            .join(", ")})`,
        },
      ]);
    }
  }
  const resolved = await resolveDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: path.resolve(config.home, "postgres"),
    handleSignals: false,
  });
  const db = createDb(resolved.url, { applicationName: "sluice-worker" });
  const hotDb = createDb(resolved.url, { applicationName: "sluice-worker-hot", synchronousCommit: false });
  const metrics = createWorkerMetrics();
  const runtime = createLlmRuntime(config, hotDb, {
    onCallLogError: (error, rows) => logger.error({ err: error, rows }, "call log rows could not be written"),
  });
  const queue = await startJobQueue({
    connectionString: resolved.url,
    supervise: true,
    superviseIntervalSeconds: config.jobs.superviseSeconds,
    applicationName: "sluice-worker-queue",
    synchronousCommit: false,
    finishedRetentionSeconds: config.retention.queueDays * 86_400,
    onError: (error) => logger.warn({ err: error }, "job queue error"),
  });
  await queue.ensureQueues(catalog.queues());
  const rateLimiter = createRateLimiter(hotDb);
  // One alerter for calls and provider batches: a period's alert is raised once either way.
  const budgetAlerts = createBudgetAlerter({
    db,
    queue,
    catalog,
    onAlert: (alert) => {
      metrics.onBudgetAlert(alert);
      logger.warn({ alert }, describeBudgetAlert(alert));
    },
  });
  const budget = createBudgetGuard(hotDb, {
    // Its leases and its call-log rows carry the same id (see createBudgetGuard).
    holder: runtime.holder,
    leaseTtlMs: config.budgetLeaseMs,
    alerts: budgetAlerts,
    onError: (error) => logger.error({ err: error }, "budget spend could not be written; retrying"),
  });
  const outbound = createOutboundGuard({ allowPrivate: config.webhooks.allowPrivate });
  const alertUrl = config.jobs.deadLetterAlert.webhookUrl;
  // The alert URL comes from settings, not a request: say at start that its deliveries will be refused.
  if (alertUrl)
    void outbound.judge(alertUrl).then((verdict) => {
      if (verdict.kind === "refused")
        logger.error({ url: alertUrl }, `SLUICE_ALERT_WEBHOOK_URL will not be posted to: ${verdict.message}`);
    });
  const alerter = createDeadLetterAlerter({
    db,
    queue,
    catalog,
    settings: config.jobs.deadLetterAlert,
    onAlert: (alert) => {
      metrics.onAlert(alert);
      logger.error(
        { alert },
        `dead letters passed the alert threshold: ${alert.deadCount} in ${alert.windowSeconds} s`,
      );
    },
  });
  const worker = await startWorker({
    // Job transitions commit without waiting for the disk (see docs/operations.md); enqueues do wait.
    db: hotDb,
    databaseUrl: resolved.url,
    queue,
    catalog,
    handlers: createHandlers({
      db,
      runtime,
      rateLimiter,
      budget,
      alertWebhookSecret: config.jobs.deadLetterAlert.webhookSecret,
      outbound,
      jobs: createJobService({ db, queue, catalog, outbound }),
      batchPollMs: config.batches.pollMs,
      batchMaxRetries: config.batches.maxRetries,
      budgetAlerts,
    }),
    logger,
    concurrency: overrides.concurrency ?? config.jobs.concurrency,
    kinds: overrides.kinds ?? env.kinds,
    pollMs: config.jobs.pollMs,
    shutdownGraceMs: config.jobs.shutdownGraceMs,
    eventRetentionDays: config.jobs.eventRetentionDays,
    retention: config.retention,
    onRowsDeleted: (table, rows) => metrics.onRowsDeleted(table, rows),
    onMaintenancePass: (outcome) => metrics.onMaintenancePass(outcome),
    onEnd: (attempt, end, ms) => metrics.onEnd(attempt, end, ms),
    onDead: (job) => {
      metrics.onDead(job.kind);
      void alerter
        .check()
        .catch((error: unknown) => logger.warn({ err: error }, "dead-letter alert check failed"));
    },
  });
  metrics.countRunning(() => worker.running);
  const server =
    env.metricsPort === undefined
      ? undefined
      : await serveMetrics(metrics.registry, { host: env.metricsHost, port: env.metricsPort, logger });
  logger.info(
    { kinds: worker.kinds, concurrency: overrides.concurrency ?? config.jobs.concurrency },
    "worker started",
  );

  return {
    worker,
    metricsUrl: server?.url,
    async stop() {
      await worker.stop();
      await server?.close();
      await Promise.allSettled([rateLimiter.close(), budget.close()]);
      await runtime.close();
      await queue.stop({ graceful: false });
      await hotDb.destroy();
      await db.destroy();
      await resolved.stop();
    },
  };
}
