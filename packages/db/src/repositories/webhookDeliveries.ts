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
