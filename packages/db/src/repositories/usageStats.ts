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

/**
 * A tenant's model calls grouped by UTC day and model, newest day first: recent calls from the call
 * log, older ones from their daily roll-up (`llm_usage_daily`), added together, so a roll-up changes
 * no total. A rolled-up day counts whole: exact when `since` is a UTC midnight or later than every
 * rolled-up call (the call log keeps days longer than the default stats window).
 */
export async function modelUsageByDay(db: Db, tenantId: string, since: Date): Promise<ModelDayUsage[]> {
  const { rows } = await sql<ModelDayUsage>`
    select to_char(day, 'YYYY-MM-DD') as day, model,
      sum(calls)::int as calls, sum(errors)::int as errors, sum(cache_hits)::int as cache_hits,
      sum(input_tokens)::bigint as input_tokens, sum(output_tokens)::bigint as output_tokens,
      sum(cost_micros)::bigint as cost_micros
    from (
      select (created_at at time zone 'UTC')::date as day, model, count(*) as calls,
        count(*) filter (where status <> 'ok') as errors, count(*) filter (where cache_hit) as cache_hits,
        coalesce(sum(input_tokens), 0) as input_tokens, coalesce(sum(output_tokens), 0) as output_tokens,
        coalesce(sum(cost_micros), 0) as cost_micros
      from llm_calls where tenant_id = ${tenantId} and created_at >= ${since}
      group by 1, 2
      union all
      select day, model, calls, errors, cache_hits, input_tokens, output_tokens, cost_micros
      from llm_usage_daily
      where tenant_id = ${tenantId} and day >= (${since}::timestamptz at time zone 'UTC')::date
    ) usage
    group by usage.day, model
    order by usage.day desc, model`.execute(db);
  return rows.map((r) => ({
    ...r,
    inputTokens: Number(r.inputTokens),
    outputTokens: Number(r.outputTokens),
    costMicros: Number(r.costMicros),
  }));
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
