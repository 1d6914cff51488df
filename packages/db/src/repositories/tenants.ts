import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { withConstraintErrors } from "../errors.ts";
import type { Tenant } from "../schema.ts";

/** Limits a tenant can have; null means unlimited. */
export interface TenantLimits {
  dailyBudgetMicros?: number | null | undefined;
  monthlyBudgetMicros?: number | null | undefined;
  endUserDailyBudgetMicros?: number | null | undefined;
  /** Share (0..1] of each budget at which a soft alert goes out once per period. */
  budgetAlertShare?: number | null | undefined;
  rateLimitRpm?: number | null | undefined;
  rateLimitTpm?: number | null | undefined;
}

/** Constraints of the tenants table that callers react to. */
export const tenantConstraints = {
  /** Tenant names are unique. */
  uniqueName: "tenants_name_key",
} as const;

/**
 * Inserts a tenant and returns it; a taken name raises a `DbConstraintError` (`unique_violation`
 * on `tenantConstraints.uniqueName`).
 */
export async function insertTenant(db: Db, input: { name: string } & TenantLimits): Promise<Tenant> {
  return withConstraintErrors(() =>
    db
      .insertInto("tenants")
      .values({
        name: input.name,
        dailyBudgetMicros: input.dailyBudgetMicros ?? null,
        monthlyBudgetMicros: input.monthlyBudgetMicros ?? null,
        endUserDailyBudgetMicros: input.endUserDailyBudgetMicros ?? null,
        budgetAlertShare: input.budgetAlertShare ?? null,
        rateLimitRpm: input.rateLimitRpm ?? null,
        rateLimitTpm: input.rateLimitTpm ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** The tenant with this id, or undefined. */
export async function findTenantById(db: Db, id: string): Promise<Tenant | undefined> {
  return db.selectFrom("tenants").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The tenant with this name, or undefined. */
export async function findTenantByName(db: Db, name: string): Promise<Tenant | undefined> {
  return db.selectFrom("tenants").selectAll().where("name", "=", name).executeTakeFirst();
}

/** Tenants ordered by creation, oldest first. */
export async function listTenants(db: Db, options: { includeDisabled?: boolean } = {}): Promise<Tenant[]> {
  let query = db.selectFrom("tenants").selectAll().orderBy("createdAt").orderBy("id");
  if (!options.includeDisabled) query = query.where("disabledAt", "is", null);
  return query.execute();
}

/** Changes a tenant's limits (only the given ones); returns the updated tenant or undefined. */
export async function updateTenantLimits(
  db: Db,
  id: string,
  limits: TenantLimits,
): Promise<Tenant | undefined> {
  const changes = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
  return db
    .updateTable("tenants")
    .set({ ...changes, updatedAt: sql<Date>`now()` })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Marks a tenant disabled (idempotent); its keys stop authenticating. */
export async function disableTenant(db: Db, id: string): Promise<Tenant | undefined> {
  return db
    .updateTable("tenants")
    .set({ disabledAt: sql<Date>`coalesce(disabled_at, now())`, updatedAt: sql<Date>`now()` })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Clears a tenant's disabled mark. */
export async function enableTenant(db: Db, id: string): Promise<Tenant | undefined> {
  return db
    .updateTable("tenants")
    .set({ disabledAt: null, updatedAt: sql<Date>`now()` })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Sets (or clears, with null) a tenant's webhook endpoint and its signing secret. */
export async function setTenantWebhook(
  db: Db,
  id: string,
  webhook: { url: string | null; secret?: string | undefined },
): Promise<Tenant | undefined> {
  return db
    .updateTable("tenants")
    .set({
      webhookUrl: webhook.url,
      ...(webhook.secret === undefined ? {} : { webhookSecret: webhook.secret }),
      updatedAt: sql<Date>`now()`,
    })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Gives a tenant a webhook signing secret unless it has one; returns the one in force. */
export async function ensureTenantWebhookSecret(
  db: Db,
  id: string,
  candidate: string,
): Promise<string | null> {
  const row = await db
    .updateTable("tenants")
    .set({ webhookSecret: sql<string>`coalesce(webhook_secret, ${candidate})` })
    .where("id", "=", id)
    .returning("webhookSecret")
    .executeTakeFirst();
  return row?.webhookSecret ?? null;
}

/** The webhook endpoint of each of these tenants (null where none is set). */
export async function tenantWebhookUrls(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("tenants").select(["id", "webhookUrl"]).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r.webhookUrl]));
}

/** Names of tenants containing `text`, ignoring case, alphabetically: hints when a name is mistyped. */
export async function tenantNamesLike(db: Db, text: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("tenants")
    .select("name")
    .where(sql<boolean>`strpos(lower(name), lower(${text})) > 0`)
    .orderBy(sql`lower(name)`)
    .orderBy("name")
    .limit(limit)
    .execute();
  return rows.map((r) => r.name);
}
