import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** Usage of one model on one day. */
export interface ModelDayUsage {
  day: string;
  model: string;
  calls: number;
  errors: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** Cascade activity of one cascade on one day. */
export interface CascadeDayUsage {
  day: string;
  cascade: string;
  runs: number;
  draftAccepted: number;
  cascaded: number;
  preRouted: number;
  costMicros: number;
  savedMicros: number;
}

/** A tenant's model calls grouped by UTC day and model, newest day first. */
export async function modelUsageByDay(db: Db, tenantId: string, since: Date): Promise<ModelDayUsage[]> {
  const rows = await db
    .selectFrom("llmCalls")
    .select([
      sql<string>`to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD')`.as("day"),
      "model",
      sql<number>`count(*)::int`.as("calls"),
      sql<number>`count(*) filter (where status <> 'ok')::int`.as("errors"),
      sql<number>`count(*) filter (where cache_hit)::int`.as("cacheHits"),
      sql<number>`coalesce(sum(input_tokens), 0)::bigint`.as("inputTokens"),
      sql<number>`coalesce(sum(output_tokens), 0)::bigint`.as("outputTokens"),
      sql<number>`coalesce(sum(cost_micros), 0)::bigint`.as("costMicros"),
    ])
    .where("tenantId", "=", tenantId)
    .where("createdAt", ">=", since)
    .groupBy([sql`1`, "model"])
    .orderBy(sql`1`, "desc")
    .orderBy("model")
    .execute();
  return rows;
}

/** A tenant's cascade runs grouped by UTC day and cascade, newest day first. */
export async function cascadeUsageByDay(db: Db, tenantId: string, since: Date): Promise<CascadeDayUsage[]> {
  return db
    .selectFrom("cascadeRuns")
    .select([
      sql<string>`to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD')`.as("day"),
      "cascade",
      sql<number>`count(*)::int`.as("runs"),
      sql<number>`count(*) filter (where draft_accepted)::int`.as("draftAccepted"),
      sql<number>`count(*) filter (where cascaded)::int`.as("cascaded"),
      sql<number>`count(*) filter (where pre_routed)::int`.as("preRouted"),
      sql<number>`coalesce(sum(total_cost_micros), 0)::bigint`.as("costMicros"),
      sql<number>`coalesce(sum(saved_micros), 0)::bigint`.as("savedMicros"),
    ])
    .where("tenantId", "=", tenantId)
    .where("createdAt", ">=", since)
    .groupBy([sql`1`, "cascade"])
    .orderBy(sql`1`, "desc")
    .orderBy("cascade")
    .execute();
}
