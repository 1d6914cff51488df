import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/**
 * Rolls up to `limit` call-log rows created before `before` into `llm_usage_daily` (one row per UTC
 * day, tenant, model, provider, kind, key, end user and batch or not) and deletes them, in one
 * statement: a crash leaves either both or neither, and a day rolled in several passes adds up,
 * never counts twice. Returns how many rows were rolled (fewer than `limit`: nothing older is left).
 */
export async function rollUpLlmCallsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const { rows } = await sql<{ rolled: number }>`
    with picked as (
      select id from llm_calls where created_at < ${before} limit ${limit} for update skip locked
    ), gone as (
      delete from llm_calls c using picked p where c.id = p.id
      returning c.created_at, c.tenant_id, c.model, c.provider, c.kind, c.api_key_id, c.end_user,
        c.batch_id, c.status, c.cache_hit, c.input_tokens, c.output_tokens, c.cost_micros, c.latency_ms
    ), summed as (
      insert into llm_usage_daily as u (day, tenant_id, model, provider, kind, api_key_id, end_user, batch,
        calls, errors, cache_hits, input_tokens, output_tokens, cost_micros,
        cached_input_tokens, cached_output_tokens, latency_ms)
      select (created_at at time zone 'UTC')::date, tenant_id, model, provider, kind, api_key_id, end_user,
        batch_id is not null, count(*), count(*) filter (where status <> 'ok'), count(*) filter (where cache_hit),
        sum(input_tokens), sum(output_tokens), sum(cost_micros),
        coalesce(sum(input_tokens) filter (where cache_hit), 0),
        coalesce(sum(output_tokens) filter (where cache_hit), 0),
        sum(latency_ms)
      from gone
      group by 1, 2, 3, 4, 5, 6, 7, 8
      on conflict (tenant_id, day, model, provider, kind, api_key_id, end_user, batch) do update set
        calls = u.calls + excluded.calls,
        errors = u.errors + excluded.errors,
        cache_hits = u.cache_hits + excluded.cache_hits,
        input_tokens = u.input_tokens + excluded.input_tokens,
        output_tokens = u.output_tokens + excluded.output_tokens,
        cost_micros = u.cost_micros + excluded.cost_micros,
        cached_input_tokens = u.cached_input_tokens + excluded.cached_input_tokens,
        cached_output_tokens = u.cached_output_tokens + excluded.cached_output_tokens,
        latency_ms = u.latency_ms + excluded.latency_ms,
        updated_at = now()
      returning 1
    )
    select count(*)::int as rolled from gone`.execute(db);
  return Number(rows[0]?.rolled ?? 0);
}
