import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Budget periods and scopes: a tenant may have a monthly budget besides its daily one, a budget for
// each of its end users per day, and a share of every budget at which a soft alert goes out once per
// period; a key may have its own daily and monthly budgets. A tenant's day keeps its rows in
// tenant_daily_spend and budget_leases; every other scope's period lives in budget_spend and
// budget_scope_leases, leased by processes the same way.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("tenants")
    .addColumn("monthly_budget_micros", "bigint", (c) => c.check(sql`monthly_budget_micros >= 0`))
    .addColumn("end_user_daily_budget_micros", "bigint", (c) =>
      c.check(sql`end_user_daily_budget_micros >= 0`),
    )
    .addColumn("budget_alert_share", "double precision", (c) =>
      c.check(sql`budget_alert_share > 0 and budget_alert_share <= 1`),
    )
    .execute();
  await db.schema
    .alterTable("api_keys")
    .addColumn("daily_budget_micros", "bigint", (c) => c.check(sql`daily_budget_micros >= 0`))
    .addColumn("monthly_budget_micros", "bigint", (c) => c.check(sql`monthly_budget_micros >= 0`))
    .execute();

  const scopes = sql`scope in ('tenant_month', 'key_day', 'key_month', 'user_day')`;
  await db.schema
    .createTable("budget_spend")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("scope", "text", (c) => c.notNull().check(scopes))
    // '' for the tenant itself, the key's id, or the end user's name.
    .addColumn("subject", "text", (c) => c.notNull())
    // The period's first day.
    .addColumn("period", "date", (c) => c.notNull())
    .addColumn("reserved_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`reserved_micros >= 0`))
    .addColumn("spent_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`spent_micros >= 0`))
    .addPrimaryKeyConstraint("budget_spend_pkey", ["tenant_id", "scope", "subject", "period"])
    .execute();

  await db.schema
    .createTable("budget_scope_leases")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("scope", "text", (c) => c.notNull().check(scopes))
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("period", "date", (c) => c.notNull())
    .addColumn("holder", "uuid", (c) => c.notNull())
    .addColumn("reserved_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`reserved_micros >= 0`))
    .addColumn("spent_micros", "bigint", (c) => c.notNull().defaultTo(0).check(sql`spent_micros >= 0`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("budget_scope_leases_pkey", [
      "tenant_id",
      "scope",
      "subject",
      "period",
      "holder",
    ])
    .execute();

  // One row per budget and period whose spend crossed the tenant's alert share: the first process
  // to insert it sends the alert, so it goes out once whatever the number of processes.
  await db.schema
    .createTable("budget_alerts")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("scope", "text", (c) =>
      c.notNull().check(sql`scope in ('tenant_day', 'tenant_month', 'key_day', 'key_month', 'user_day')`),
    )
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("period", "date", (c) => c.notNull())
    .addColumn("budget_micros", "bigint", (c) => c.notNull())
    .addColumn("spent_micros", "bigint", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("budget_alerts_pkey", ["tenant_id", "scope", "subject", "period"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("budget_alerts").execute();
  await db.schema.dropTable("budget_scope_leases").execute();
  await db.schema.dropTable("budget_spend").execute();
  await db.schema
    .alterTable("api_keys")
    .dropColumn("monthly_budget_micros")
    .dropColumn("daily_budget_micros")
    .execute();
  await db.schema
    .alterTable("tenants")
    .dropColumn("budget_alert_share")
    .dropColumn("end_user_daily_budget_micros")
    .dropColumn("monthly_budget_micros")
    .execute();
}
