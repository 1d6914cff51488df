import {
  type AdminService,
  type Authenticator,
  type BatchService,
  type BudgetGuard,
  type ChatService,
  type Clock,
  createAdminService,
  createAuthenticator,
  createBatchService,
  createBudgetAlerter,
  createBudgetGuard,
  createChatService,
  createDeadLetterService,
  createFileService,
  createJobService,
  createLlmRuntime,
  createMessageBatchService,
  createMessagesService,
  createOpenAiBatchService,
  createOutboundGuard,
  createRateLimiter,
  createStatsService,
  createTicketService,
  type DeadLetterService,
  describeBudgetAlert,
  type FileService,
  type HostResolver,
  type JobService,
  jobCatalogFromConfig,
  type LlmRuntime,
  type MessageBatchService,
  type MessagesService,
  type OpenAiBatchService,
  type RateLimiter,
  type SluiceConfig,
  type StatsService,
  type TicketService,
} from "@sluice/core";
import { type Db, type JobQueue, startJobQueue } from "@sluice/db";
import type { Logger } from "pino";
import { type ApiMetrics, createApiMetrics } from "./metrics/apiMetrics.ts";
import type { ChatStreamData } from "./streams/chatStreamEvents.ts";
import { type JobEventHub, startJobEventHub } from "./streams/jobEventHub.ts";
import { createStreamGate, type StreamGate } from "./streams/streamGate.ts";
import { createStreamHub, type StreamHub } from "./streams/streamHub.ts";

/** Everything the API's handlers use, built once at start and passed in. */
export interface ApiServices {
  db: Db;
  runtime: LlmRuntime;
  /** Resolves API keys (briefly cached; admin changes clear the cache). */
  auth: Authenticator;
  /** Tenants, their API keys and webhooks: the rules of every admin surface. */
  admin: AdminService;
  rateLimiter: RateLimiter;
  budget: BudgetGuard;
  /** Chat, cascades and embeddings under the tenant's limits: the one guarded path. */
  chat: ChatService;
  /** Anthropic's Messages API, translated onto the chat service. */
  messages: MessagesService;
  /** Anthropic's Message Batches over `batches`. */
  messageBatches: MessageBatchService;
  logger: Logger;
  metrics: ApiMetrics;
  /** Running chat streams, so subscribers can reconnect and resume. */
  streams: StreamHub<ChatStreamData>;
  jobs: JobService;
  batches: BatchService;
  /** OpenAI's Files API: batch inputs, outputs and errors. */
  files: FileService;
  /** OpenAI's Batches API over `batches`. */
  openaiBatches: OpenAiBatchService;
  deadLetters: DeadLetterService;
  /** The ticket classifier's use cases. */
  tickets: TicketService;
  /** Usage figures per tenant. */
  stats: StatsService;
  /** Job events from Postgres, fanned out to this process's subscribers. */
  jobEvents: JobEventHub;
  /** Bounds the subscriptions and SSE streams each tenant holds open, and how long. */
  streamGate: StreamGate;
  /** Fires when the server starts shutting down: open streams end with a final event. */
  shutdown?: AbortSignal | undefined;
  /** Origins allowed to call from browsers (none by default). */
  corsOrigins?: string[] | undefined;
}

/** Starts the API's services over its databases; `close()` stops them (after the HTTP server). */
export async function startApiServices(
  config: SluiceConfig,
  options: {
    db: Db;
    /** Pool for hot counters (leases, call log, cache), committing without waiting for the disk. */
    hotDb: Db;
    databaseUrl: string;
    logger: Logger;
    corsOrigins?: string[];
    /** Time for rate windows and budget days (tests freeze it). */
    clock?: Clock;
    /** Resolves webhook hosts (tests make a name resolve anywhere; the system resolver otherwise). */
    resolveHost?: HostResolver;
  },
): Promise<{ services: ApiServices; close(): Promise<void> }> {
  const { db, hotDb, logger } = options;
  const metrics = createApiMetrics();
  const runtime = createLlmRuntime(config, hotDb, {
    onCall: metrics.onCall,
    onCascade: metrics.onCascade,
    onCallLogError: (error, rows) => logger.error({ err: error, rows }, "call log rows could not be written"),
  });
  const catalog = jobCatalogFromConfig(config);
  const queue: JobQueue = await startJobQueue({
    connectionString: options.databaseUrl,
    max: 4,
    applicationName: "sluice-api-queue",
    onError: (error) => logger.warn({ err: error }, "job queue error"),
  });
  await queue.ensureQueues(catalog.queues());
  const jobEvents = await startJobEventHub({
    db,
    databaseUrl: options.databaseUrl,
    onError: (error) => logger.warn({ err: error }, "job events connection lost; reconnecting"),
  });
  const clock = options.clock ? { clock: options.clock } : {};
  const rateLimiter = createRateLimiter(hotDb, clock);
  const budget = createBudgetGuard(hotDb, {
    ...clock,
    // Its leases and its call-log rows carry the same id (see createBudgetGuard).
    holder: runtime.holder,
    leaseTtlMs: config.budgetLeaseMs,
    alerts: createBudgetAlerter({
      db,
      queue,
      catalog,
      onAlert: (alert) => {
        metrics.onBudgetAlert(alert);
        logger.warn({ alert }, describeBudgetAlert(alert));
      },
    }),
    onError: (error) => logger.error({ err: error }, "budget spend could not be written; retrying"),
  });
  metrics.watchJobs(db);
  const outbound = createOutboundGuard({
    allowPrivate: config.webhooks.allowPrivate,
    resolve: options.resolveHost,
  });
  const jobs = createJobService({ db, queue, catalog, outbound });
  const auth = createAuthenticator(db);
  const batches = createBatchService({ db, jobs, runtime, rateLimiter });
  const files = createFileService({ db, maxBytes: config.files.maxBytes });
  const chat = createChatService({ runtime, rateLimiter, budget });
  const services: ApiServices = {
    db,
    runtime,
    auth,
    admin: createAdminService({ db, auth, outbound }),
    rateLimiter,
    budget,
    chat,
    messages: createMessagesService({ chat, registry: runtime.registry, cascades: runtime.cascades }),
    messageBatches: createMessageBatchService({ batches }),
    logger,
    metrics,
    corsOrigins: options.corsOrigins,
    streams: createStreamHub<ChatStreamData>(),
    jobs,
    batches,
    files,
    openaiBatches: createOpenAiBatchService({ db, runtime, batches, files }),
    deadLetters: createDeadLetterService({ db, queue, catalog }),
    tickets: createTicketService({ db, guards: { runtime, rateLimiter, budget }, jobs }),
    stats: createStatsService({ db, registry: runtime.registry, ...clock }),
    jobEvents,
    streamGate: createStreamGate(config.streams),
  };
  return {
    services,
    async close() {
      await jobEvents.close();
      await Promise.allSettled([rateLimiter.close(), budget.close()]);
      await runtime.close();
      await queue.stop({ graceful: false });
    },
  };
}
