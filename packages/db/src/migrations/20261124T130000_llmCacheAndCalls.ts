import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("llm_cache")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("response", "jsonb", (c) => c.notNull())
    .addColumn("input_tokens", "integer", (c) => c.notNull())
    .addColumn("output_tokens", "integer", (c) => c.notNull())
    .addColumn("hit_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_hit_at", "timestamptz")
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("llm_cache_expires_at_idx").on("llm_cache").column("expires_at").execute();
  await db.schema.createIndex("llm_cache_tenant_id_idx").on("llm_cache").column("tenant_id").execute();

  await db.schema
    .createTable("llm_calls")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("request_id", "text")
    .addColumn("job_id", "text")
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('chat', 'embedding')`))
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("input_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("output_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("cost_micros", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("latency_ms", "integer", (c) => c.notNull())
    .addColumn("ttft_ms", "integer")
    .addColumn("cache_hit", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('ok', 'error', 'aborted')`))
    .addColumn("error_code", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("llm_calls_tenant_created_idx")
    .on("llm_calls")
    .columns(["tenant_id", "created_at"])
    .execute();
  await db.schema.createIndex("llm_calls_request_id_idx").on("llm_calls").column("request_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("llm_calls").execute();
  await db.schema.dropTable("llm_cache").execute();
}
