export {
  BATCH_STATUSES,
  type BatchStatus,
  FINAL_BATCH_STATUSES,
  type FinalBatchStatus,
  isFinalBatchStatus,
} from "./batchStatuses.ts";
export type * from "./batchTables.ts";
export type * from "./fileTables.ts";
export type * from "./limitTables.ts";

import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { BatchesTable, BatchRequestsTable, BatchResponsesTable } from "./batchTables.ts";
import type { FileChunksTable, FilesTable, OpenAiBatchesTable } from "./fileTables.ts";
import type {
  ApiKeyRateWindowsTable,
  BudgetAlertsTable,
  BudgetLeasesTable,
  BudgetScopeLeasesTable,
  BudgetSpendTable,
  RateLimitWindowsTable,
  TenantDailySpendTable,
} from "./limitTables.ts";

/** A timestamp column: read as Date, written as Date or ISO string, defaulted by Postgres. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Roles an API key can carry. */
export type ApiKeyRole = "tenant" | "admin";

/** `tenants`: one customer of Sluice; limits are null when unlimited. */
export interface TenantsTable {
  id: Generated<string>;
  name: string;
  dailyBudgetMicros: ColumnType<number | null, number | null | undefined, number | null>;
  /** Budget per UTC calendar month, besides the daily one (the tighter wins). */
  monthlyBudgetMicros: ColumnType<number | null, number | null | undefined, number | null>;
  /** Budget of each end user of the tenant per UTC day. */
  endUserDailyBudgetMicros: ColumnType<number | null, number | null | undefined, number | null>;
  /** Share (0..1] of every budget at which a soft alert goes out, once per period; null = none. */
  budgetAlertShare: ColumnType<number | null, number | null | undefined, number | null>;
  rateLimitRpm: ColumnType<number | null, number | null | undefined, number | null>;
  rateLimitTpm: ColumnType<number | null, number | null | undefined, number | null>;
  disabledAt: NullableTimestamp;
  /** Where job events of this tenant are posted (signed with `webhookSecret`). */
  webhookUrl: ColumnType<string | null, string | null | undefined, string | null>;
  webhookSecret: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** `api_keys`: only the SHA-256 of a key is stored; the prefix identifies it to people. */
export interface ApiKeysTable {
  id: Generated<string>;
  tenantId: string;
  role: ApiKeyRole;
  keyPrefix: string;
  keyHash: string;
  name: string;
  lastUsedAt: NullableTimestamp;
  revokedAt: NullableTimestamp;
  createdAt: CreatedAt;
  /** The key's own budgets, on top of its tenant's; null when it has none. */
  dailyBudgetMicros: ColumnType<number | null, number | null | undefined, number | null>;
  monthlyBudgetMicros: ColumnType<number | null, number | null | undefined, number | null>;
  /** The key's own limits, on top of its tenant's; null when it has none. */
  rateLimitRpm: ColumnType<number | null, number | null | undefined, number | null>;
  rateLimitTpm: ColumnType<number | null, number | null | undefined, number | null>;
  /** Model and cascade patterns (`gpt-4o*`, `support-*`) the key may call; null allows every one. */
  allowedModels: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** After this the key is refused (`key_expired`). */
  expiresAt: NullableTimestamp;
  /** Free-form JSON object the key's owner attaches (size-capped at the API). */
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** The hash a rotation replaced: still accepted until `previousValidUntil`, then `key_rotated`. */
  previousKeyHash: ColumnType<string | null, string | null | undefined, string | null>;
  previousValidUntil: NullableTimestamp;
  rotatedAt: NullableTimestamp;
}

/** JSON stored in a jsonb column. */
export type Json = ColumnType<unknown, string, string>;

/** `llm_cache`: responses of deterministic model calls, keyed by a content hash. */
export interface LlmCacheTable {
  key: string;
  tenantId: string | null;
  model: string;
  response: Json;
  inputTokens: number;
  outputTokens: number;
  hitCount: ColumnType<number, number | undefined, number>;
  createdAt: CreatedAt;
  lastHitAt: NullableTimestamp;
  expiresAt: Timestamp;
}

/** `llm_calls`: one row per model call, the source of usage stats and spend. */
export interface LlmCallsTable {
  id: Generated<number>;
  tenantId: string | null;
  requestId: string | null;
  jobId: string | null;
  kind: "chat" | "embedding";
  model: string;
  provider: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  latencyMs: number;
  ttftMs: number | null;
  cacheHit: boolean;
  status: "ok" | "error" | "aborted";
  errorCode: string | null;
  /** The process that made the call (its budget lease holder). */
  holder: string | null;
  /** The API key that made the call (null for jobs and tools acting for the tenant). */
  apiKeyId: ColumnType<string | null, string | null | undefined, string | null>;
  /** The end user the caller named (`user`, `X-Sluice-User`, Anthropic `metadata.user_id`). */
  endUser: ColumnType<string | null, string | null | undefined, string | null>;
  /** The provider batch this answer came from (null for synchronous calls). */
  batchId: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
}

/** `llm_usage_daily`: call-log rows past their retention, summed per UTC day and key (see usageRollup.ts). */
export interface LlmUsageDailyTable {
  day: ColumnType<string, string, string>;
  tenantId: string | null;
  model: string;
  provider: string;
  kind: string;
  apiKeyId: string | null;
  endUser: string | null;
  /** Calls answered through a provider batch. */
  batch: ColumnType<boolean, boolean | undefined, boolean>;
  calls: number;
  errors: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  cachedInputTokens: number;
  cachedOutputTokens: number;
  latencyMs: number;
  updatedAt: CreatedAt;
}

/** Ticket urgencies. */
export type TicketUrgency = "critical" | "high" | "medium" | "low";
/** Ticket categories. */
export type TicketCategory = "billing" | "technical" | "account" | "feature_request" | "bug_report" | "other";

/** `tickets`: support tickets of a tenant and, once classified, their classification. */
export interface TicketsTable {
  id: Generated<string>;
  tenantId: string;
  subject: string;
  body: string;
  customerEmail: string;
  urgency: TicketUrgency | null;
  category: TicketCategory | null;
  suggestedResponse: string | null;
  confidence: number | null;
  classifiedAt: NullableTimestamp;
  modelUsed: string | null;
  costMicros: ColumnType<number, number | undefined, number>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** Outcome of a cascade run. */
export type CascadeOutcome = "accepted" | "escalated" | "cost_cap" | "latency_cap" | "failed";

/** `cascade_runs`: one cascade execution and its accounting. */
export interface CascadeRunsTable {
  id: Generated<string>;
  tenantId: string | null;
  requestId: string | null;
  cascade: string;
  modelUsed: string | null;
  outcome: CascadeOutcome;
  cascaded: boolean;
  draftAccepted: boolean;
  preRouted: ColumnType<boolean, boolean | undefined, boolean>;
  totalCostMicros: number;
  savedMicros: number;
  latencyMs: number;
  createdAt: CreatedAt;
}

/** `cascade_attempts`: each tier tried within a run, with its verdict. */
export interface CascadeAttemptsTable {
  id: Generated<number>;
  runId: string;
  tier: number;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  latencyMs: number;
  verdict: "accepted" | "rejected" | "error";
  reason: string;
  confidence: number | null;
}

/** Where a job is in its life. `failed`: the last attempt failed and another is scheduled (`runAt`). */
export type JobStatus = "queued" | "active" | "completed" | "failed" | "cancelled" | "dead";

/** `jobs`: every queued job as its tenant sees it; `id` is also its pg-boss id. */
export interface JobsTable {
  id: string;
  tenantId: string | null;
  kind: string;
  queue: string;
  priority: number;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  progress: ColumnType<number, number | undefined, number>;
  progressMessage: string | null;
  payload: Json;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  maxAttempts: number;
  idempotencyKey: string | null;
  webhookUrl: string | null;
  requestId: string | null;
  requeuedFrom: string | null;
  requeuedAt: NullableTimestamp;
  /** The API key that queued the job: its model calls count against that key's budgets and limits. */
  apiKeyId: ColumnType<string | null, string | null | undefined, string | null>;
  runAt: Timestamp;
  createdAt: CreatedAt;
  startedAt: NullableTimestamp;
  finishedAt: NullableTimestamp;
  updatedAt: Timestamp;
}

/** Kinds of job event. */
export type JobEventType =
  | "queued"
  | "started"
  | "progress"
  | "failed"
  | "completed"
  | "cancelled"
  | "dead"
  | "requeued";

/** `job_events`: a job's history, in order; ids only grow. */
export interface JobEventsTable {
  id: Generated<number>;
  jobId: string;
  tenantId: string | null;
  type: JobEventType;
  data: ColumnType<Record<string, unknown>, string | undefined, never>;
  createdAt: CreatedAt;
}

/** `webhook_deliveries`: every attempt to deliver a job event to a webhook. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  jobId: string | null;
  deliveryJobId: string;
  tenantId: string | null;
  url: string;
  event: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  delivered: boolean;
  createdAt: CreatedAt;
}

/** `dead_letters`: jobs that died, for listing and requeueing them. */
export interface DeadLettersTable {
  jobId: string;
  kind: string;
  errorCode: string;
  diedAt: Timestamp;
  requeuedAt: NullableTimestamp;
}

/** `dead_letter_alerts`: one row per alert window in which dead letters passed the threshold. */
export interface DeadLetterAlertsTable {
  windowStart: Date;
  deadCount: number;
  createdAt: CreatedAt;
}

/** Every table Sluice owns, as Kysely sees it (camelCase; columns are snake_case in Postgres). */
export interface Database {
  tenants: TenantsTable;
  apiKeys: ApiKeysTable;
  apiKeyRateWindows: ApiKeyRateWindowsTable;
  llmCache: LlmCacheTable;
  llmCalls: LlmCallsTable;
  llmUsageDaily: LlmUsageDailyTable;
  tickets: TicketsTable;
  cascadeRuns: CascadeRunsTable;
  cascadeAttempts: CascadeAttemptsTable;
  rateLimitWindows: RateLimitWindowsTable;
  tenantDailySpend: TenantDailySpendTable;
  budgetLeases: BudgetLeasesTable;
  budgetSpend: BudgetSpendTable;
  budgetScopeLeases: BudgetScopeLeasesTable;
  budgetAlerts: BudgetAlertsTable;
  jobs: JobsTable;
  jobEvents: JobEventsTable;
  webhookDeliveries: WebhookDeliveriesTable;
  deadLetterAlerts: DeadLetterAlertsTable;
  deadLetters: DeadLettersTable;
  batches: BatchesTable;
  batchRequests: BatchRequestsTable;
  batchResponses: BatchResponsesTable;
  files: FilesTable;
  fileChunks: FileChunksTable;
  openaiBatches: OpenAiBatchesTable;
}

export type Tenant = Selectable<TenantsTable>;
export type NewTenant = Insertable<TenantsTable>;
export type TenantUpdate = Updateable<TenantsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type LlmCacheEntry = Selectable<LlmCacheTable>;
export type NewLlmCall = Insertable<LlmCallsTable>;
export type LlmCall = Selectable<LlmCallsTable>;
export type Ticket = Selectable<TicketsTable>;
export type NewTicket = Insertable<TicketsTable>;
export type CascadeRun = Selectable<CascadeRunsTable>;
export type CascadeAttempt = Selectable<CascadeAttemptsTable>;
export type Job = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type JobEvent = Selectable<JobEventsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type Batch = Selectable<BatchesTable>;
export type NewBatch = Insertable<BatchesTable>;
export type BatchRequest = Selectable<BatchRequestsTable>;
export type BatchResponse = Selectable<BatchResponsesTable>;
export type NewBatchResponse = Insertable<BatchResponsesTable>;
