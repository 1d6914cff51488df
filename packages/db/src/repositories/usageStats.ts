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
 * Model calls since `since` (of one tenant, or of all), as rows with the same columns whether they
 * come from the call log (one row per call) or from its daily roll-up (`llm_usage_daily`, one row
 * per day and key): any grouping of them gives the same totals before and after a roll-up. A
 * rolled-up day counts whole: exact when `since` is a UTC midnight or later than every rolled-up
 * call (the call log keeps days longer than the default stats window). Select from it as a subquery.
 */
export function callUsageSince(filter: { tenantId?: string | undefined; since: Date }) {
  const rawTenant = filter.tenantId === undefined ? sql`true` : sql`tenant_id = ${filter.tenantId}`;
  return sql`
    select (created_at at time zone 'UTC')::date as day, tenant_id, model, provider, kind, api_key_id,
      end_user, batch_id is not null as batch, 1::bigint as calls, (status <> 'ok')::int::bigint as errors,
      cache_hit::int::bigint as cache_hits, input_tokens::bigint as input_tokens,
      output_tokens::bigint as output_tokens, cost_micros::bigint as cost_micros,
      (case when cache_hit then input_tokens else 0 end)::bigint as cached_input_tokens,
      (case when cache_hit then output_tokens else 0 end)::bigint as cached_output_tokens,
      latency_ms::bigint as latency_ms
    from llm_calls where ${rawTenant} and created_at >= ${filter.since}
    union all
    select day, tenant_id, model, provider, kind, api_key_id, end_user, batch, calls, errors, cache_hits,
      input_tokens, output_tokens, cost_micros, cached_input_tokens, cached_output_tokens, latency_ms
    from llm_usage_daily
    where ${rawTenant} and day >= (${filter.since}::timestamptz at time zone 'UTC')::date`;
}

/** A tenant's model calls grouped by UTC day and model, newest day first (see {@link callUsageSince}). */
export async function modelUsageByDay(db: Db, tenantId: string, since: Date): Promise<ModelDayUsage[]> {
  const { rows } = await sql<ModelDayUsage>`
    select to_char(day, 'YYYY-MM-DD') as day, model,
      sum(calls)::int as calls, sum(errors)::int as errors, sum(cache_hits)::int as cache_hits,
      sum(input_tokens)::bigint as input_tokens, sum(output_tokens)::bigint as output_tokens,
      sum(cost_micros)::bigint as cost_micros
    from (${callUsageSince({ tenantId, since })}) usage
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
