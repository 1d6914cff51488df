import type { Kysely } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// A batch remembers the API key that created it, so its tiers' reservations and spend count against
// that key's budgets as well as its tenant's (null: created before keys were kept).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("batches").addColumn("api_key_id", "uuid").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("batches").dropColumn("api_key_id").execute();
}
