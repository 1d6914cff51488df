import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { withConstraintErrors } from "../errors.ts";
import type { ApiKey, ApiKeyRole, Tenant } from "../schema.ts";
import { findTenantById } from "./tenants.ts";

/** An API key row without its hashes, safe to show. */
export type ApiKeySummary = Omit<ApiKey, "keyHash" | "previousKeyHash">;

/** A stored row without its hashes (every other column, whichever parts of Sluice add them). */
function summary({ keyHash: _hash, previousKeyHash: _previous, ...key }: ApiKey): ApiKeySummary {
  return key;
}

/** Constraints of the API keys table that callers react to. */
export const apiKeyConstraints = {
  /** A key belongs to an existing tenant. */
  tenant: "api_keys_tenant_id_fkey",
  /** No two keys share a hash. */
  uniqueHash: "api_keys_key_hash_key",
} as const;

/** A key's own limits and attributes; null clears one, absent leaves it as it is. */
export interface ApiKeyPolicyFields {
  rateLimitRpm?: number | null | undefined;
  rateLimitTpm?: number | null | undefined;
  allowedModels?: string[] | null | undefined;
  expiresAt?: Date | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** The key's own budgets per UTC day and month (micro-dollars), on top of its tenant's. */
  dailyBudgetMicros?: number | null | undefined;
  monthlyBudgetMicros?: number | null | undefined;
}

/** The fields as columns: metadata goes to jsonb as text. */
function policyValues<T extends ApiKeyPolicyFields>(fields: T) {
  const { metadata, ...rest } = fields;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<
    T,
    "metadata"
  >;
  return { ...given, ...(metadata === undefined ? {} : { metadata: JSON.stringify(metadata) }) };
}

/**
 * Stores a key by its SHA-256 hex digest (the plaintext never reaches the database). An unknown
 * tenant raises a `DbConstraintError` (`foreign_key_violation` on `apiKeyConstraints.tenant`).
 */
export async function insertApiKey(
  db: Db,
  input: {
    tenantId: string;
    role: ApiKeyRole;
    keyPrefix: string;
    keyHash: string;
    name?: string;
  } & ApiKeyPolicyFields,
): Promise<ApiKeySummary> {
  return withConstraintErrors(() =>
    db
      .insertInto("apiKeys")
      .values({ ...policyValues(input), name: input.name ?? "" })
      .returningAll()
      .executeTakeFirstOrThrow()
      .then(summary),
  );
}

/** A key found by a presented hash: `previous` when the hash is one a rotation replaced. */
export interface FoundApiKey {
  key: ApiKeySummary;
  tenant: Tenant;
  previous: boolean;
}

/**
 * The unrevoked key whose current or replaced (rotated) hash this is, with its live tenant; expiry
 * and the rotation grace are judged by the caller, so it can say which one refused the key.
 */
export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<FoundApiKey | undefined> {
  const row = await db
    .selectFrom("apiKeys")
    .selectAll()
    .where((eb) => eb.or([eb("keyHash", "=", keyHash), eb("previousKeyHash", "=", keyHash)]))
    .where("revokedAt", "is", null)
    .executeTakeFirst();
  if (!row) return undefined;
  const tenant = await findTenantById(db, row.tenantId);
  if (!tenant || tenant.disabledAt !== null) return undefined;
  return { key: summary(row), tenant, previous: row.keyHash !== keyHash };
}

/** The key with this id (revoked too), scoped to a tenant when one is given. */
export async function findApiKeyById(
  db: Db,
  id: string,
  options: { tenantId?: string } = {},
): Promise<ApiKeySummary | undefined> {
  let query = db.selectFrom("apiKeys").selectAll().where("id", "=", id);
  if (options.tenantId) query = query.where("tenantId", "=", options.tenantId);
  const row = await query.executeTakeFirst();
  return row && summary(row);
}

/** A tenant's keys, newest first; revoked ones only when asked. */
export async function listApiKeys(
  db: Db,
  tenantId: string,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiKeySummary[]> {
  let query = db
    .selectFrom("apiKeys")
    .selectAll()
    .where("tenantId", "=", tenantId)
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc");
  if (!options.includeRevoked) query = query.where("revokedAt", "is", null);
  return (await query.execute()).map(summary);
}

/** Changes a key's name, limits, models, expiry or metadata (only the fields given). */
export async function updateApiKey(
  db: Db,
  id: string,
  fields: ApiKeyPolicyFields & { name?: string | undefined },
): Promise<ApiKeySummary | undefined> {
  const values = policyValues(fields);
  if (Object.keys(values).length === 0) return findApiKeyById(db, id);
  const row = await db
    .updateTable("apiKeys")
    .set(values)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return row && summary(row);
}

/**
 * Gives an unrevoked key a new secret: the hash it had stays accepted until `graceMs` from now
 * (Postgres's clock), then is refused as rotated; a hash from an earlier rotation is forgotten.
 */
export async function rotateApiKey(
  db: Db,
  id: string,
  input: { keyPrefix: string; keyHash: string; graceMs: number },
): Promise<ApiKeySummary | undefined> {
  return withConstraintErrors(() =>
    db
      .updateTable("apiKeys")
      .set((eb) => ({
        previousKeyHash: eb.ref("keyHash"),
        keyHash: input.keyHash,
        keyPrefix: input.keyPrefix,
        previousValidUntil: sql<Date>`now() + make_interval(secs => ${input.graceMs / 1000})`,
        rotatedAt: sql<Date>`now()`,
      }))
      .where("id", "=", id)
      .where("revokedAt", "is", null)
      .returningAll()
      .executeTakeFirst()
      .then((row) => row && summary(row)),
  );
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
  const row = await query.returningAll().executeTakeFirst();
  return row && summary(row);
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
