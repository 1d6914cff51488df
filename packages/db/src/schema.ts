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

/** Every table Sluice owns, as Kysely sees it (camelCase; columns are snake_case in Postgres). */
export interface Database {
  tenants: TenantsTable;
  apiKeys: ApiKeysTable;
  llmCache: LlmCacheTable;
  llmCalls: LlmCallsTable;
}

export type Tenant = Selectable<TenantsTable>;
export type NewTenant = Insertable<TenantsTable>;
export type TenantUpdate = Updateable<TenantsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type LlmCacheEntry = Selectable<LlmCacheTable>;
export type NewLlmCall = Insertable<LlmCallsTable>;
export type LlmCall = Selectable<LlmCallsTable>;
