import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Virtual keys: a key may carry its own rate limits, a list of model patterns it may call, an
// expiry and free-form metadata; a rotated key keeps the hash it replaced until a grace time, so
// the old secret is told it was rotated. Each key's rate windows are counted like a tenant's. Call
// log rows name the key and end user that made them, for spend by key and by user.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("api_keys")
    .addColumn("rate_limit_rpm", "integer", (c) => c.check(sql`rate_limit_rpm > 0`))
    .addColumn("rate_limit_tpm", "integer", (c) => c.check(sql`rate_limit_tpm > 0`))
    .addColumn("allowed_models", sql`text[]`)
    .addColumn("expires_at", "timestamptz")
    .addColumn("metadata", "jsonb", (c) =>
      c.notNull().defaultTo(sql`'{}'::jsonb`).check(sql`jsonb_typeof(metadata) = 'object'`),
    )
    .addColumn("previous_key_hash", "text", (c) => c.check(sql`previous_key_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn("previous_valid_until", "timestamptz")
    .addColumn("rotated_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("api_keys_previous_key_hash_key")
    .unique()
    .on("api_keys")
    .column("previous_key_hash")
    .where(sql.ref("previous_key_hash"), "is not", null)
    .execute();

  await db.schema
    .createTable("api_key_rate_windows")
    .addColumn("api_key_id", "uuid", (c) => c.notNull().references("api_keys.id").onDelete("cascade"))
    .addColumn("window_start", "timestamptz", (c) => c.notNull())
    .addColumn("requests", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("tokens", "bigint", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("api_key_rate_windows_pkey", ["api_key_id", "window_start"])
    .execute();

  await db.schema
    .alterTable("llm_calls")
    .addColumn("api_key_id", "uuid")
    .addColumn("end_user", "text", (c) => c.check(sql`length(end_user) between 1 and 256`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("llm_calls").dropColumn("end_user").dropColumn("api_key_id").execute();
  await db.schema.dropTable("api_key_rate_windows").execute();
  await db.schema.dropIndex("api_keys_previous_key_hash_key").execute();
  await db.schema
    .alterTable("api_keys")
    .dropColumn("rotated_at")
    .dropColumn("previous_valid_until")
    .dropColumn("previous_key_hash")
    .dropColumn("metadata")
    .dropColumn("expires_at")
    .dropColumn("allowed_models")
    .dropColumn("rate_limit_tpm")
    .dropColumn("rate_limit_rpm")
    .execute();
}
