import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { withConstraintErrors } from "../errors.ts";
import type { ApiKey, ApiKeyRole, Tenant } from "../schema.ts";

/** An API key row without its hash, safe to show. */
export type ApiKeySummary = Omit<ApiKey, "keyHash">;

const summaryColumns = [
  "id",
  "tenantId",
  "role",
  "keyPrefix",
  "name",
  "lastUsedAt",
  "revokedAt",
  "createdAt",
] as const;

/** Constraints of the API keys table that callers react to. */
export const apiKeyConstraints = {
  /** A key belongs to an existing tenant. */
  tenant: "api_keys_tenant_id_fkey",
  /** No two keys share a hash. */
  uniqueHash: "api_keys_key_hash_key",
} as const;

/**
 * Stores a key by its SHA-256 hex digest (the plaintext never reaches the database). An unknown
 * tenant raises a `DbConstraintError` (`foreign_key_violation` on `apiKeyConstraints.tenant`).
 */
export async function insertApiKey(
  db: Db,
  input: { tenantId: string; role: ApiKeyRole; keyPrefix: string; keyHash: string; name?: string },
): Promise<ApiKeySummary> {
  return withConstraintErrors(() =>
    db
      .insertInto("apiKeys")
      .values({ ...input, name: input.name ?? "" })
      .returning(summaryColumns)
      .executeTakeFirstOrThrow(),
  );
}

/** The live key with this hash and its tenant: not revoked, tenant not disabled. */
export async function findActiveKeyByHash(
  db: Db,
  keyHash: string,
): Promise<{ key: ApiKeySummary; tenant: Tenant } | undefined> {
  const row = await db
    .selectFrom("apiKeys as k")
    .innerJoin("tenants as t", "t.id", "k.tenantId")
    .select([
      "k.id as keyId",
      "k.tenantId",
      "k.role",
      "k.keyPrefix",
      "k.name as keyName",
      "k.lastUsedAt",
      "k.revokedAt",
      "k.createdAt as keyCreatedAt",
    ])
    .select([
      "t.name",
      "t.dailyBudgetMicros",
      "t.rateLimitRpm",
      "t.rateLimitTpm",
      "t.disabledAt",
      "t.webhookUrl",
      "t.webhookSecret",
      "t.createdAt",
      "t.updatedAt",
    ])
    .where("k.keyHash", "=", keyHash)
    .where("k.revokedAt", "is", null)
    .where("t.disabledAt", "is", null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    key: {
      id: row.keyId,
      tenantId: row.tenantId,
      role: row.role,
      keyPrefix: row.keyPrefix,
      name: row.keyName,
      lastUsedAt: row.lastUsedAt,
      revokedAt: row.revokedAt,
      createdAt: row.keyCreatedAt,
    },
    tenant: {
      id: row.tenantId,
      name: row.name,
      dailyBudgetMicros: row.dailyBudgetMicros,
      rateLimitRpm: row.rateLimitRpm,
      rateLimitTpm: row.rateLimitTpm,
      disabledAt: row.disabledAt,
      webhookUrl: row.webhookUrl,
      webhookSecret: row.webhookSecret,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    },
  };
}

/** A tenant's keys, newest first; revoked ones only when asked. */
export async function listApiKeys(
  db: Db,
  tenantId: string,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiKeySummary[]> {
  let query = db
    .selectFrom("apiKeys")
    .select(summaryColumns)
    .where("tenantId", "=", tenantId)
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc");
  if (!options.includeRevoked) query = query.where("revokedAt", "is", null);
  return query.execute();
}

/** Revokes a key (idempotent); scoped to a tenant when one is given. */
export async function revokeApiKey(
  db: Db,
  id: string,
  options: { tenantId?: string } = {},
): Promise<ApiKeySummary | undefined> {
  let query = db
    .updateTable("apiKeys")
    .set({ revokedAt: sql<Date>`coalesce(revoked_at, now())` })
    .where("id", "=", id);
  if (options.tenantId) query = query.where("tenantId", "=", options.tenantId);
  return query.returning(summaryColumns).executeTakeFirst();
}

/** Records use of a key, at most once a minute per key so hot keys do not write on every request. */
export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db
    .updateTable("apiKeys")
    .set({ lastUsedAt: sql<Date>`now()` })
    .where("id", "=", id)
    .where((eb) =>
      eb.or([eb("lastUsedAt", "is", null), eb("lastUsedAt", "<", sql<Date>`now() - interval '1 minute'`)]),
    )
    .execute();
}
