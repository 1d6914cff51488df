import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("batches")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn("description", "text")
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c
        .notNull()
        .defaultTo("draft")
        .check(
          sql`status in ('draft', 'validating', 'submitted', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled')`,
        ),
    )
    // The tier of a cascade batch now at the provider (0 for plain models).
    .addColumn("tier", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("provider_batch_id", "text")
    .addColumn("input_file_id", "text")
    .addColumn("output_file_id", "text")
    .addColumn("error_file_id", "text")
    .addColumn("request_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("succeeded_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("errored_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("expired_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("cancelled_count", "integer", (c) => c.notNull().defaultTo(0))
    // Bytes of the request bodies as added (provider limits are checked against it).
    .addColumn("request_bytes", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("input_tokens", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("output_tokens", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("cost_micros", "bigint", (c) => c.notNull().defaultTo(0))
    // What the same answers would have cost as synchronous calls of the models that gave them.
    .addColumn("sync_cost_micros", "bigint", (c) => c.notNull().defaultTo(0))
    // What they would have cost through the cascade's top tier alone, synchronously (cascades only).
    .addColumn("top_tier_cost_micros", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("completion_window", "text", (c) => c.notNull().defaultTo("24h"))
    .addColumn("webhook_url", "text", (c) => c.check(sql`webhook_url ~ '^https?://'`))
    .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("error_message", "text")
    // Result lines of the current tier already stored: a poll that restarts skips them.
    .addColumn("results_read", "integer", (c) => c.notNull().defaultTo(0))
    // Polls scheduled so far: each poll job's idempotency key, so a retried poll schedules one next.
    .addColumn("poll_seq", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("job_id", "uuid", (c) => c.references("jobs.id").onDelete("set null"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("submitted_at", "timestamptz")
    .addColumn("finished_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index batches_tenant_created_idx on batches (tenant_id, created_at desc, id desc)`.execute(
    db,
  );

  await db.schema
    .createTable("batch_requests")
    .addColumn("batch_id", "uuid", (c) => c.notNull().references("batches.id").onDelete("cascade"))
    .addColumn("custom_id", "text", (c) => c.notNull().check(sql`length(custom_id) between 1 and 64`))
    // Input order (also the line of the file it was added from, within its call).
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("body", "jsonb", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c
        .notNull()
        .defaultTo("pending")
        .check(sql`status in ('pending', 'submitted', 'succeeded', 'errored', 'expired', 'cancelled')`),
    )
    // The cascade tier it waits for or was answered at.
    .addColumn("tier", "integer", (c) => c.notNull().defaultTo(0))
    // Cascade batches: the tiers that answered and were rejected so far, with their cost.
    .addColumn("attempts", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint("batch_requests_pkey", ["batch_id", "custom_id"])
    .execute();
  await sql`create index batch_requests_seq_idx on batch_requests (batch_id, tier, seq)`.execute(db);

  await db.schema
    .createTable("batch_responses")
    .addColumn("batch_id", "uuid", (c) => c.notNull().references("batches.id").onDelete("cascade"))
    .addColumn("custom_id", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c.notNull().check(sql`status in ('succeeded', 'errored', 'expired', 'cancelled')`),
    )
    .addColumn("model", "text")
    .addColumn("response", "jsonb")
    .addColumn("error", "jsonb")
    .addColumn("input_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("output_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("cost_micros", "bigint", (c) => c.notNull().defaultTo(0))
    // For cascade batches: every tier the item went through, with its verdict.
    .addColumn("attempts", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("batch_responses_pkey", ["batch_id", "custom_id"])
    .execute();
  await sql`create index batch_responses_seq_idx on batch_responses (batch_id, seq)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("batch_responses").execute();
  await db.schema.dropTable("batch_requests").execute();
  await db.schema.dropTable("batches").execute();
}
