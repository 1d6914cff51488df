import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Provider batches spend under the tenant's budgets: each tier sent to a provider reserves its most
// at batch pricing under a lease holder of its own (kept on the batch while it runs), its answers are
// booked as they are read (what is booked so far is counted on the batch), and what is left is given
// back when the tier ends. Each answer is also a call-log row, tagged with its batch.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("batches")
    .addColumn("budget_holder", "text")
    // The UTC day (YYYY-MM-DD) the tier's reservation was made in: its budgets' periods.
    .addColumn("budget_day", "text")
    .addColumn("budget_booked_micros", "bigint", (c) =>
      c.notNull().defaultTo(0).check(sql`budget_booked_micros >= 0`),
    )
    .execute();
  await db.schema.alterTable("llm_calls").addColumn("batch_id", "uuid").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("llm_calls").dropColumn("batch_id").execute();
  await db.schema
    .alterTable("batches")
    .dropColumn("budget_holder")
    .dropColumn("budget_day")
    .dropColumn("budget_booked_micros")
    .execute();
}
