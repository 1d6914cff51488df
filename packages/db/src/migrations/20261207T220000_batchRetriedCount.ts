import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Requests sent again after a retriable provider error, counted on the batch row so every view of
// a batch (Sluice's own, OpenAI's, Anthropic's) shows it without reading its requests. Batches
// that already retried are counted from their requests' attempts.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("batches")
    .addColumn("retried_count", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update batches b set retried_count = r.n
    from (
      select batch_id, count(*)::int as n
      from batch_requests, jsonb_array_elements(attempts) a
      where a->>'retried' = 'true'
      group by batch_id
    ) r
    where r.batch_id = b.id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("batches").dropColumn("retried_count").execute();
}
