import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Call-log rows past their retention are rolled into one row per UTC day, tenant, model, provider,
// kind, key, end user and whether it came from a provider batch, and deleted in the same statement;
// usage stats read both.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("llm_usage_daily")
    .addColumn("day", "date", (c) => c.notNull())
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("api_key_id", "uuid")
    .addColumn("end_user", "text")
    .addColumn("batch", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("calls", "bigint", (c) => c.notNull())
    .addColumn("errors", "bigint", (c) => c.notNull())
    .addColumn("cache_hits", "bigint", (c) => c.notNull())
    .addColumn("input_tokens", "bigint", (c) => c.notNull())
    .addColumn("output_tokens", "bigint", (c) => c.notNull())
    .addColumn("cost_micros", "bigint", (c) => c.notNull())
    // Tokens answered from the cache: what cached calls saved, priced at read time.
    .addColumn("cached_input_tokens", "bigint", (c) => c.notNull())
    .addColumn("cached_output_tokens", "bigint", (c) => c.notNull())
    .addColumn("latency_ms", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The roll-up adds into a day's row (upsert): a day rolled in several passes is counted once per call.
  await sql`create unique index llm_usage_daily_key on llm_usage_daily
    (tenant_id, day, model, provider, kind, api_key_id, end_user, batch) nulls not distinct`.execute(db);

  // Rows arrive in time order: block-range indexes find the old ones for retention at almost no
  // cost, and, unlike a b-tree on a column a job's life changes, leave the jobs' updates heap-only.
  await sql`create index llm_calls_created_brin on llm_calls using brin (created_at)`.execute(db);
  await sql`create index webhook_deliveries_created_brin on webhook_deliveries using brin (created_at)`.execute(
    db,
  );
  await sql`create index jobs_created_brin on jobs using brin (created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index jobs_created_brin`.execute(db);
  await sql`drop index webhook_deliveries_created_brin`.execute(db);
  await sql`drop index llm_calls_created_brin`.execute(db);
  await db.schema.dropTable("llm_usage_daily").execute();
}
