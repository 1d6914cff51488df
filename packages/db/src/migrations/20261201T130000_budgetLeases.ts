import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  // Each process's slice of a tenant's daily budget. A live process renews its slices; the slices of
  // a process that died are reclaimed once they expire.
  await db.schema
    .createTable("budget_leases")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("day", "date", (c) => c.notNull())
    .addColumn("holder", "uuid", (c) => c.notNull())
    .addColumn("reserved_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`reserved_micros >= 0`))
    .addColumn("spent_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`spent_micros >= 0`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("budget_leases_pkey", ["tenant_id", "day", "holder"])
    .execute();

  // The process that made each call, so a dead process's spend can be recovered from the call log.
  await db.schema.alterTable("llm_calls").addColumn("holder", "uuid").execute();
  await db.schema
    .createIndex("llm_calls_holder_idx")
    .on("llm_calls")
    .columns(["holder", "tenant_id", "created_at"])
    .where(sql.ref("holder"), "is not", null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("llm_calls_holder_idx").execute();
  await db.schema.alterTable("llm_calls").dropColumn("holder").execute();
  await db.schema.dropTable("budget_leases").execute();
}
