import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("name", "text", (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn("daily_budget_micros", "bigint", (c) => c.check(sql`daily_budget_micros >= 0`))
    .addColumn("rate_limit_rpm", "integer", (c) => c.check(sql`rate_limit_rpm > 0`))
    .addColumn("rate_limit_tpm", "integer", (c) => c.check(sql`rate_limit_tpm > 0`))
    .addColumn("disabled_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("tenants_name_key").unique().on("tenants").column("name").execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull().check(sql`role in ('tenant', 'admin')`))
    .addColumn("key_prefix", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull().check(sql`key_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn("name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("last_used_at", "timestamptz")
    .addColumn("revoked_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("api_keys_key_hash_key").unique().on("api_keys").column("key_hash").execute();
  await db.schema.createIndex("api_keys_tenant_id_idx").on("api_keys").column("tenant_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("api_keys").execute();
  await db.schema.dropTable("tenants").execute();
}
