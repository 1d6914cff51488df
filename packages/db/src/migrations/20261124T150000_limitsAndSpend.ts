import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("rate_limit_windows")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("window_start", "timestamptz", (c) => c.notNull())
    .addColumn("requests", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("tokens", "bigint", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("rate_limit_windows_pkey", ["tenant_id", "window_start"])
    .execute();

  await db.schema
    .createTable("tenant_daily_spend")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("day", "date", (c) => c.notNull())
    .addColumn("reserved_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`reserved_micros >= 0`))
    .addColumn("spent_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`spent_micros >= 0`))
    .addPrimaryKeyConstraint("tenant_daily_spend_pkey", ["tenant_id", "day"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("tenant_daily_spend").execute();
  await db.schema.dropTable("rate_limit_windows").execute();
}
