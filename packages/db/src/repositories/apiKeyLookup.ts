import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** What an admin lookup shows of a key: enough to tell matches apart, never a hash. */
export interface ApiKeyRef {
  id: string;
  tenantId: string;
  tenantName: string;
  keyPrefix: string;
  name: string;
  revokedAt: Date | null;
  createdAt: Date;
}

function keyRefs(db: Db, tenantId: string | undefined) {
  let query = db
    .selectFrom("apiKeys as k")
    .innerJoin("tenants as t", "t.id", "k.tenantId")
    .select([
      "k.id",
      "k.tenantId",
      "t.name as tenantName",
      "k.keyPrefix",
      "k.name",
      "k.revokedAt",
      "k.createdAt",
    ]);
  if (tenantId) query = query.where("k.tenantId", "=", tenantId);
  return query;
}

/** The key with this id (revoked too), within one tenant when given. */
export async function findApiKeyRefById(
  db: Db,
  id: string,
  options: { tenantId?: string | undefined } = {},
): Promise<ApiKeyRef | undefined> {
  return keyRefs(db, options.tenantId).where("k.id", "=", id).executeTakeFirst();
}

/**
 * Keys whose prefix starts with `text` (with or without its `slk_`) or whose name is `text`, within
 * one tenant when given: live keys first, then newest first, at most `limit`.
 */
export async function findApiKeyRefsByPrefixOrName(
  db: Db,
  text: string,
  options: { tenantId?: string | undefined; limit: number },
): Promise<ApiKeyRef[]> {
  return keyRefs(db, options.tenantId)
    .where((eb) =>
      eb.or([
        eb(sql<boolean>`starts_with(k.key_prefix, ${text})`, "=", true),
        eb(sql<boolean>`starts_with(k.key_prefix, ${`slk_${text}`})`, "=", true),
        eb("k.name", "=", text),
      ]),
    )
    .orderBy(sql`k.revoked_at is not null`)
    .orderBy("k.createdAt", "desc")
    .orderBy("k.id", "desc")
    .limit(options.limit)
    .execute();
}
