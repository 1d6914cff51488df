import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { WebhookDelivery } from "../schema.ts";

/** Records one delivery attempt. */
export async function insertWebhookDelivery(
  db: Db,
  row: Omit<WebhookDelivery, "id" | "createdAt">,
): Promise<WebhookDelivery> {
  return db.insertInto("webhookDeliveries").values(row).returningAll().executeTakeFirstOrThrow();
}

/** Delivery attempts for a job's events, oldest first; with a tenant, only that tenant's. */
export async function listWebhookDeliveries(
  db: Db,
  jobId: string,
  tenantId?: string,
): Promise<WebhookDelivery[]> {
  let query = db.selectFrom("webhookDeliveries").selectAll().where("jobId", "=", jobId);
  if (tenantId !== undefined) query = query.where("tenantId", "=", tenantId);
  return query.orderBy("id").execute();
}

/** Deletes up to `limit` delivery attempts recorded before `before`; returns how many. */
export async function deleteWebhookDeliveriesBefore(db: Db, before: Date, limit: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with gone as (
      delete from webhook_deliveries where id in (
        select id from webhook_deliveries where created_at < ${before} limit ${limit} for update skip locked)
      returning 1)
    select count(*)::int as n from gone`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
