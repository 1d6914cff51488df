import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import { callUsageSince } from "./usageStats.ts";

/** What spend can be grouped by. */
export type SpendDimension = "tenant" | "key" | "user" | "model" | "day";

/** One group of spend, always split by model too (so cached calls can be priced by the caller). */
export interface SpendRow {
  day: string | null;
  tenantId: string | null;
  apiKeyId: string | null;
  keyPrefix: string | null;
  keyName: string | null;
  endUser: string | null;
  model: string;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** The part of `costMicros` answered through provider batches. */
  batchCostMicros: number;
  batchCalls: number;
  cacheHits: number;
  /** Tokens of calls answered from the cache (charged nothing). */
  cachedInputTokens: number;
  cachedOutputTokens: number;
}

const COLUMNS: Record<
  Exclude<SpendDimension, "model">,
  { select: ReturnType<typeof sql>; group: ReturnType<typeof sql> }
> = {
  day: { select: sql`to_char(u.day, 'YYYY-MM-DD') as day`, group: sql`u.day` },
  tenant: { select: sql`u.tenant_id`, group: sql`u.tenant_id` },
  key: {
    select: sql`u.api_key_id, k.key_prefix, k.name as key_name`,
    group: sql`u.api_key_id, k.key_prefix, k.name`,
  },
  user: { select: sql`u.end_user`, group: sql`u.end_user` },
};

/**
 * Spend over UTC days `from`..`to` (inclusive, `YYYY-MM-DD`), of one tenant or all, grouped by the
 * given dimensions and by model, from the call log and its daily roll-up alike (see
 * {@link callUsageSince}): provider-batch answers and cache hits are call-log rows too.
 */
export async function spendReport(
  db: Db,
  input: { tenantId?: string | undefined; from: string; to: string; by: readonly SpendDimension[] },
): Promise<SpendRow[]> {
  const dims = (["day", "tenant", "key", "user"] as const).filter((d) => input.by.includes(d));
  const selects = dims.map((d) => COLUMNS[d].select);
  const groups = [...dims.map((d) => COLUMNS[d].group), sql`u.model`];
  const since = new Date(`${input.from}T00:00:00Z`);
  const { rows } = await sql<Record<string, string | number | null>>`
    select ${sql.join([...selects, sql`u.model`])},
      sum(u.calls)::bigint as calls, sum(u.errors)::bigint as errors,
      sum(u.input_tokens)::bigint as input_tokens, sum(u.output_tokens)::bigint as output_tokens,
      sum(u.cost_micros)::bigint as cost_micros,
      coalesce(sum(u.cost_micros) filter (where u.batch), 0)::bigint as batch_cost_micros,
      coalesce(sum(u.calls) filter (where u.batch), 0)::bigint as batch_calls,
      sum(u.cache_hits)::bigint as cache_hits,
      sum(u.cached_input_tokens)::bigint as cached_input_tokens,
      sum(u.cached_output_tokens)::bigint as cached_output_tokens
    from (${callUsageSince({ tenantId: input.tenantId, since })}) u
    ${dims.includes("key") ? sql`left join api_keys k on k.id = u.api_key_id` : sql``}
    where u.day <= ${input.to}::date
    group by ${sql.join(groups)}
    order by ${sql.join(groups)}`.execute(db);
  const text = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));
  return rows.map((r) => ({
    day: text(r.day),
    tenantId: text(r.tenantId),
    apiKeyId: text(r.apiKeyId),
    keyPrefix: text(r.keyPrefix),
    keyName: text(r.keyName),
    endUser: text(r.endUser),
    model: String(r.model),
    calls: Number(r.calls),
    errors: Number(r.errors),
    inputTokens: Number(r.inputTokens),
    outputTokens: Number(r.outputTokens),
    costMicros: Number(r.costMicros),
    batchCostMicros: Number(r.batchCostMicros),
    batchCalls: Number(r.batchCalls),
    cacheHits: Number(r.cacheHits),
    cachedInputTokens: Number(r.cachedInputTokens),
    cachedOutputTokens: Number(r.cachedOutputTokens),
  }));
}
