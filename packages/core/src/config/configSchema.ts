import { z } from "zod";

/** A configuration value that is wrong, naming the variable. */
export class ConfigError extends Error {
  readonly variables: string[];

  constructor(issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.variables = issues.map((i) => i.variable);
  }
}

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const optionalUrl = z.preprocess(
  emptyAsUndefined,
  z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
);

const jsonValue = <T extends z.ZodType>(schema: T, what: string) =>
  z.preprocess((v) => {
    if (typeof v !== "string" || v.trim() === "") return undefined;
    try {
      return JSON.parse(v);
    } catch {
      return Symbol.for(`invalid ${what}`);
    }
  }, schema.optional());

// Days, decimals allowed (0.002 ≈ 3 minutes) for soaks and tests; at least about nine seconds.
const retentionDays = (days: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().min(0.0001).max(36_500).default(days));

const extraProviderSchema = z.strictObject({
  baseUrl: z.url(),
  apiKey: z.string().optional(),
  /** Whether the endpoint serves OpenAI's Responses API (`/responses`); most compatible servers do not. */
  responsesApi: z.boolean().optional(),
});

const envSchema = z.object({
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional(),
  ),
  SLUICE_HOME: z.preprocess(emptyAsUndefined, z.string().default(".sluice")),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
  SLUICE_SIMULATOR_URL: optionalUrl,
  SLUICE_PROVIDERS: jsonValue(
    z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), extraProviderSchema, {
      error: 'must be JSON like {"ollama":{"baseUrl":"http://127.0.0.1:11434/v1"}}',
    }),
    "providers",
  ),
  SLUICE_MODELS: jsonValue(
    z.array(z.record(z.string(), z.unknown()), { error: "must be a JSON array of models" }),
    "models",
  ),
  SLUICE_CASCADES: jsonValue(
    z.array(z.record(z.string(), z.unknown()), { error: "must be a JSON array of cascades" }),
    "cascades",
  ),
  SLUICE_CLASSIFIER_MODEL: z.preprocess(emptyAsUndefined, z.string().min(1).default("cascade:simulator")),
  SLUICE_CACHE_TTL_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(86_400)),
  SLUICE_CACHE_SCOPE: z.preprocess(emptyAsUndefined, z.enum(["tenant", "shared"]).default("tenant")),
  SLUICE_MODEL_CONCURRENCY: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(100_000).default(64),
  ),
  SLUICE_MODEL_QUEUE: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(1_000_000).default(256),
  ),
  SLUICE_JOBS: jsonValue(
    z.record(z.string(), z.record(z.string(), z.unknown()), {
      error: 'must be JSON like {"chat.complete":{"retryLimit":5}}',
    }),
    "job settings",
  ),
  SLUICE_WORKER_CONCURRENCY: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(10_000).default(20),
  ),
  SLUICE_WORKER_POLL_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(50).max(60_000).default(2_000),
  ),
  SLUICE_WORKER_SUPERVISE_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(3_600).default(30),
  ),
  SLUICE_WORKER_SHUTDOWN_GRACE_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(600_000).default(20_000),
  ),
  SLUICE_JOB_EVENTS_RETENTION_DAYS: retentionDays(14),
  SLUICE_JOBS_RETENTION_DAYS: retentionDays(30),
  SLUICE_QUEUE_RETENTION_DAYS: retentionDays(7),
  SLUICE_WEBHOOK_DELIVERIES_RETENTION_DAYS: retentionDays(14),
  SLUICE_LLM_CALLS_RETENTION_DAYS: retentionDays(90),
  SLUICE_MAINTENANCE_INTERVAL_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().min(1).max(86_400).default(600),
  ),
  SLUICE_MAINTENANCE_CHUNK_ROWS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  ),
  SLUICE_DEAD_LETTER_ALERT_THRESHOLD: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).default(10),
  ),
  SLUICE_DEAD_LETTER_ALERT_WINDOW_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(86_400).default(3_600),
  ),
  SLUICE_BUDGET_LEASE_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().min(0.1).max(3_600).default(30),
  ),
  SLUICE_BATCH_POLL_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  ),
  SLUICE_BATCH_MAX_REQUESTS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).optional()),
  SLUICE_BATCH_MAX_BYTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).optional()),
  SLUICE_BATCH_MAX_RETRIES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10).default(2)),
  SLUICE_FILE_MAX_BYTES: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(209_715_200).default(209_715_200),
  ),
  SLUICE_MAX_STREAMS_PER_TENANT: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(1_000_000).default(2_000),
  ),
  SLUICE_MAX_STREAM_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(86_400).default(3_600),
  ),
  SLUICE_ALERT_WEBHOOK_URL: optionalUrl,
  SLUICE_ALERT_WEBHOOK_SECRET: optionalString,
  SLUICE_ALLOW_PRIVATE_WEBHOOKS: z.preprocess(
    emptyAsUndefined,
    z
      .enum(["true", "false", "1", "0"], { error: "must be true or false" })
      .default("false")
      .transform((v) => v === "true" || v === "1"),
  ),
});

/** Sluice's configuration, parsed once from the environment. */
export interface SluiceConfig {
  /** External Postgres; unset means embedded Postgres under `home`. */
  databaseUrl: string | undefined;
  /** Directory for local state: embedded database, CLI config. */
  home: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  providers: {
    openai: { apiKey: string | undefined; baseUrl: string | undefined };
    anthropic: { apiKey: string | undefined; baseUrl: string | undefined };
    /** Extra OpenAI-compatible endpoints by name (vLLM, Ollama, Together, Groq…). */
    extra: Record<
      string,
      { baseUrl: string; apiKey?: string | undefined; responsesApi?: boolean | undefined }
    >;
    /** The LLM simulator, used for every model whose provider has no key. */
    simulatorUrl: string | undefined;
  };
  /** Model registry entries added to or replacing the defaults (validated by the registry). */
  models: Record<string, unknown>[];
  /** Cascades added to or replacing the defaults (validated by the cascade registry). */
  cascades: Record<string, unknown>[];
  /** Model or `cascade:<name>` the ticket classifier uses. */
  classifierModel: string;
  cache: { ttlSeconds: number; scope: "tenant" | "shared" };
  /** Calls in flight at once per model in one process, and calls allowed to wait for a slot. */
  modelLimits: { maxConcurrent: number; maxQueued: number };
  /** How long a process's slice of a daily budget lives without renewal. */
  budgetLeaseMs: number;
  jobs: {
    /** Per-kind overrides of the job catalog (validated by the catalog). */
    kinds: Record<string, Record<string, unknown>>;
    /** Jobs one worker process runs at once. */
    concurrency: number;
    /** Longest wait between checks for due jobs when no notification arrives. */
    pollMs: number;
    /** How often workers look for attempts whose worker died. */
    superviseSeconds: number;
    /** How long a stopping worker lets running jobs finish before giving them back. */
    shutdownGraceMs: number;
    eventRetentionDays: number;
    deadLetterAlert: {
      threshold: number;
      windowSeconds: number;
      webhookUrl: string | undefined;
      webhookSecret: string | undefined;
    };
  };
  /**
   * What the workers' maintenance keeps, in days (one worker at a time runs it, every `intervalMs`).
   * Job events' retention is `jobs.eventRetentionDays`; cache rows go when their TTL ends.
   */
  retention: {
    intervalMs: number;
    /** Rows one statement deletes at most, so a backlog never holds long locks. */
    chunkRows: number;
    /** Finished jobs (completed, cancelled, dead), with their events, deliveries and dead-letter rows. */
    jobsDays: number;
    /** pg-boss's own copies of finished jobs (its `deleteAfterSeconds`). */
    queueDays: number;
    webhookDeliveriesDays: number;
    /** Call-log rows older than this are rolled into daily usage (`llm_usage_daily`) and deleted. */
    llmCallsDays: number;
  };
  /** Long-lived streams (subscriptions, SSE) one API process holds. */
  streams: {
    /** Open at once per tenant; more are refused with 429. */
    maxPerTenant: number;
    /** Longest a stream stays open; it then ends with a `timeout` event (reconnect to continue). */
    maxSeconds: number;
  };
  batches: {
    /** Time between checks of a batch at its provider. */
    pollMs: number;
    /** Caps on one batch below the providers' own limits (unset: the provider's). */
    maxRequests: number | undefined;
    maxBytes: number | undefined;
    /** Follow-up provider batches a request gets after retriable provider errors (per tier). */
    maxRetries: number;
  };
  /** Largest file `/v1/files` takes (bytes). */
  files: { maxBytes: number };
  /** Webhooks and alerts: private targets (loopback, RFC 1918, link-local, ULA) only for local development. */
  webhooks: { allowPrivate: boolean };
}

/** Parses an environment-like record; throws {@link ConfigError} naming each bad variable. */
export function parseConfig(source: Record<string, string | undefined>): SluiceConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "environment"),
        // Inside a JSON variable, say where: `ollama.responsesApi: expected boolean…`.
        message: issue.path.length > 1 ? `${issue.path.slice(1).join(".")}: ${issue.message}` : issue.message,
      })),
    );
  }
  const env = parsed.data;
  return {
    databaseUrl: env.DATABASE_URL,
    home: env.SLUICE_HOME,
    logLevel: env.LOG_LEVEL,
    providers: {
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL },
      anthropic: { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL },
      extra: env.SLUICE_PROVIDERS ?? {},
      simulatorUrl: env.SLUICE_SIMULATOR_URL,
    },
    models: env.SLUICE_MODELS ?? [],
    cascades: env.SLUICE_CASCADES ?? [],
    classifierModel: env.SLUICE_CLASSIFIER_MODEL,
    cache: { ttlSeconds: env.SLUICE_CACHE_TTL_SECONDS, scope: env.SLUICE_CACHE_SCOPE },
    modelLimits: { maxConcurrent: env.SLUICE_MODEL_CONCURRENCY, maxQueued: env.SLUICE_MODEL_QUEUE },
    budgetLeaseMs: Math.round(env.SLUICE_BUDGET_LEASE_SECONDS * 1000),
    jobs: {
      kinds: env.SLUICE_JOBS ?? {},
      concurrency: env.SLUICE_WORKER_CONCURRENCY,
      pollMs: env.SLUICE_WORKER_POLL_MS,
      superviseSeconds: env.SLUICE_WORKER_SUPERVISE_SECONDS,
      shutdownGraceMs: env.SLUICE_WORKER_SHUTDOWN_GRACE_MS,
      eventRetentionDays: env.SLUICE_JOB_EVENTS_RETENTION_DAYS,
      deadLetterAlert: {
        threshold: env.SLUICE_DEAD_LETTER_ALERT_THRESHOLD,
        windowSeconds: env.SLUICE_DEAD_LETTER_ALERT_WINDOW_SECONDS,
        webhookUrl: env.SLUICE_ALERT_WEBHOOK_URL,
        webhookSecret: env.SLUICE_ALERT_WEBHOOK_SECRET,
      },
    },
    retention: {
      intervalMs: Math.round(env.SLUICE_MAINTENANCE_INTERVAL_SECONDS * 1000),
      chunkRows: env.SLUICE_MAINTENANCE_CHUNK_ROWS,
      jobsDays: env.SLUICE_JOBS_RETENTION_DAYS,
      queueDays: env.SLUICE_QUEUE_RETENTION_DAYS,
      webhookDeliveriesDays: env.SLUICE_WEBHOOK_DELIVERIES_RETENTION_DAYS,
      llmCallsDays: env.SLUICE_LLM_CALLS_RETENTION_DAYS,
    },
    streams: { maxPerTenant: env.SLUICE_MAX_STREAMS_PER_TENANT, maxSeconds: env.SLUICE_MAX_STREAM_SECONDS },
    batches: {
      pollMs: env.SLUICE_BATCH_POLL_MS,
      maxRequests: env.SLUICE_BATCH_MAX_REQUESTS,
      maxBytes: env.SLUICE_BATCH_MAX_BYTES,
      maxRetries: env.SLUICE_BATCH_MAX_RETRIES,
    },
    files: { maxBytes: env.SLUICE_FILE_MAX_BYTES },
    webhooks: { allowPrivate: env.SLUICE_ALLOW_PRIVATE_WEBHOOKS },
  };
}
