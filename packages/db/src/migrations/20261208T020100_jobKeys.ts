import type { Kysely } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// A job remembers the API key that queued it, so its model calls count against that key's budgets
// and limits as the key's own calls do (null: queued by Sluice itself or before keys were kept).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("jobs").addColumn("api_key_id", "uuid").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("jobs").dropColumn("api_key_id").execute();
}
