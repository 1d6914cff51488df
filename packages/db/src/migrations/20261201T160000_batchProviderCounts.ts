import type { Kysely } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// How far the provider has got with the tier now at the provider, as it reports while the batch
// runs (answers are stored only once the provider batch has ended): watchers see progress during
// `in_progress`, not only status changes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("batches")
    .addColumn("provider_total_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("provider_done_count", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("batches")
    .dropColumn("provider_done_count")
    .dropColumn("provider_total_count")
    .execute();
}
