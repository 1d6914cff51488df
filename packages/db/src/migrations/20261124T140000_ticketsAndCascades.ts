import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tickets")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("subject", "text", (c) => c.notNull().check(sql`length(subject) between 1 and 255`))
    .addColumn("body", "text", (c) => c.notNull().check(sql`length(body) between 1 and 20000`))
    .addColumn("customer_email", "text", (c) => c.notNull())
    .addColumn("urgency", "text", (c) => c.check(sql`urgency in ('critical', 'high', 'medium', 'low')`))
    .addColumn("category", "text", (c) =>
      c.check(sql`category in ('billing', 'technical', 'account', 'feature_request', 'bug_report', 'other')`),
    )
    .addColumn("suggested_response", "text")
    .addColumn("confidence", "real", (c) => c.check(sql`confidence between 0 and 1`))
    .addColumn("classified_at", "timestamptz")
    .addColumn("model_used", "text")
    .addColumn("cost_micros", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      "tickets_classified_complete",
      sql`(classified_at is null) or (urgency is not null and category is not null and confidence is not null)`,
    )
    .execute();
  await db.schema
    .createIndex("tickets_tenant_created_idx")
    .on("tickets")
    .columns(["tenant_id", "created_at", "id"])
    .execute();
  await sql`create index tickets_unclassified_idx on tickets (tenant_id, created_at, id) where classified_at is null`.execute(
    db,
  );

  await db.schema
    .createTable("cascade_runs")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("request_id", "text")
    .addColumn("cascade", "text", (c) => c.notNull())
    .addColumn("model_used", "text")
    .addColumn("outcome", "text", (c) =>
      c.notNull().check(sql`outcome in ('accepted', 'escalated', 'cost_cap', 'latency_cap', 'failed')`),
    )
    .addColumn("cascaded", "boolean", (c) => c.notNull())
    .addColumn("draft_accepted", "boolean", (c) => c.notNull())
    .addColumn("pre_routed", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("total_cost_micros", "bigint", (c) => c.notNull())
    .addColumn("saved_micros", "bigint", (c) => c.notNull())
    .addColumn("latency_ms", "integer", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("cascade_runs_tenant_created_idx")
    .on("cascade_runs")
    .columns(["tenant_id", "created_at"])
    .execute();

  await db.schema
    .createTable("cascade_attempts")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("run_id", "uuid", (c) => c.notNull().references("cascade_runs.id").onDelete("cascade"))
    .addColumn("tier", "integer", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("input_tokens", "integer", (c) => c.notNull())
    .addColumn("output_tokens", "integer", (c) => c.notNull())
    .addColumn("cost_micros", "bigint", (c) => c.notNull())
    .addColumn("latency_ms", "integer", (c) => c.notNull())
    .addColumn("verdict", "text", (c) => c.notNull().check(sql`verdict in ('accepted', 'rejected', 'error')`))
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("confidence", "real")
    .execute();
  await db.schema.createIndex("cascade_attempts_run_idx").on("cascade_attempts").column("run_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("cascade_attempts").execute();
  await db.schema.dropTable("cascade_runs").execute();
  await db.schema.dropTable("tickets").execute();
}
