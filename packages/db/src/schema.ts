import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

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
  rateLimitRpm: ColumnType<number | null, number | null | undefined, number | null>;
  rateLimitTpm: ColumnType<number | null, number | null | undefined, number | null>;
  disabledAt: NullableTimestamp;
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
  createdAt: CreatedAt;
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

/** `rate_limit_windows`: requests and tokens per tenant per one-minute window. */
export interface RateLimitWindowsTable {
  tenantId: string;
  windowStart: Date;
  requests: number;
  tokens: number;
}

/** `tenant_daily_spend`: reserved (in flight) and settled spend per tenant per UTC day. */
export interface TenantDailySpendTable {
  tenantId: string;
  day: string;
  reservedMicros: number;
  spentMicros: number;
}

/** Every table Sluice owns, as Kysely sees it (camelCase; columns are snake_case in Postgres). */
export interface Database {
  tenants: TenantsTable;
  apiKeys: ApiKeysTable;
  llmCache: LlmCacheTable;
  llmCalls: LlmCallsTable;
  tickets: TicketsTable;
  cascadeRuns: CascadeRunsTable;
  cascadeAttempts: CascadeAttemptsTable;
  rateLimitWindows: RateLimitWindowsTable;
  tenantDailySpend: TenantDailySpendTable;
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
