import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("tenants")
    .addColumn("webhook_url", "text", (c) => c.check(sql`webhook_url ~ '^https?://'`))
    .addColumn("webhook_secret", "text")
    .execute();

  await db.schema
    .createTable("jobs")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("status", "text", (c) =>
      c
        .notNull()
        .defaultTo("queued")
        .check(sql`status in ('queued', 'active', 'completed', 'failed', 'cancelled', 'dead')`),
    )
    .addColumn("progress", "smallint", (c) => c.notNull().defaultTo(0).check(sql`progress between 0 and 100`))
    .addColumn("progress_message", "text")
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("result", "jsonb")
    .addColumn("error_code", "text")
    .addColumn("error_message", "text")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("idempotency_key", "text", (c) => c.check(sql`length(idempotency_key) between 1 and 200`))
    .addColumn("webhook_url", "text", (c) => c.check(sql`webhook_url ~ '^https?://'`))
    .addColumn("request_id", "text")
    .addColumn("requeued_from", "uuid", (c) => c.references("jobs.id").onDelete("set null"))
    .addColumn("requeued_at", "timestamptz")
    .addColumn("run_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("started_at", "timestamptz")
    .addColumn("finished_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // No index covers the columns a job's life changes (status, attempts, progress, times): those
  // updates stay heap-only (HOT), with room left on each page for them.
  await sql`alter table jobs set (fillfactor = 80)`.execute(db);
  await sql`create unique index jobs_idempotency_key on jobs (tenant_id, idempotency_key) nulls not distinct
    where idempotency_key is not null`.execute(db);
  await sql`create index jobs_tenant_created_idx on jobs (tenant_id, created_at desc, id desc)`.execute(db);

  // Dead jobs, indexed apart from `jobs` so that dying (rare) and not the life of every job pays for it.
  await db.schema
    .createTable("dead_letters")
    .addColumn("job_id", "uuid", (c) => c.primaryKey().references("jobs.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("error_code", "text", (c) => c.notNull())
    .addColumn("died_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("requeued_at", "timestamptz")
    .execute();
  await sql`create index dead_letters_died_idx on dead_letters (died_at desc, job_id desc)`.execute(db);

  await db.schema
    .createTable("job_events")
    // Read by job (the index below) and deleted by age; no lookup goes by id alone, so the log
    // carries no primary-key index to keep up on every insert.
    .addColumn("id", "bigserial", (c) => c.notNull())
    .addColumn("job_id", "uuid", (c) => c.notNull().references("jobs.id").onDelete("cascade"))
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("type", "text", (c) =>
      c
        .notNull()
        .check(
          sql`type in ('queued', 'started', 'progress', 'failed', 'completed', 'cancelled', 'dead', 'requeued')`,
        ),
    )
    .addColumn("data", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("job_events_job_idx").on("job_events").columns(["job_id", "id"]).execute();
  // Events arrive in time order: a block-range index finds old ones for retention at almost no cost.
  await sql`create index job_events_created_idx on job_events using brin (created_at)`.execute(db);

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("job_id", "uuid", (c) => c.references("jobs.id").onDelete("cascade"))
    .addColumn("delivery_job_id", "uuid", (c) => c.notNull())
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("delivered", "boolean", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_job_idx")
    .on("webhook_deliveries")
    .columns(["job_id", "id"])
    .execute();

  await db.schema
    .createTable("dead_letter_alerts")
    .addColumn("window_start", "timestamptz", (c) => c.primaryKey())
    .addColumn("dead_count", "integer", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("dead_letter_alerts").execute();
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("job_events").execute();
  await db.schema.dropTable("dead_letters").execute();
  await db.schema.dropTable("jobs").execute();
  await db.schema.alterTable("tenants").dropColumn("webhook_secret").dropColumn("webhook_url").execute();
}
