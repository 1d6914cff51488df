import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { LlmCacheEntry } from "../schema.ts";

/** The live (unexpired) entry for a key, counting the hit; undefined on a miss. */
export async function takeCacheHit(db: Db, key: string): Promise<LlmCacheEntry | undefined> {
  return db
    .updateTable("llmCache")
    .set({ hitCount: sql<number>`hit_count + 1`, lastHitAt: sql<Date>`now()` })
    .where("key", "=", key)
    .where("expiresAt", ">", sql<Date>`now()`)
    .returningAll()
    .executeTakeFirst();
}

/** Stores (or refreshes) a cached response that expires after `ttlSeconds`. */
export async function putCacheEntry(
  db: Db,
  entry: {
    key: string;
    tenantId: string | null;
    model: string;
    response: unknown;
    inputTokens: number;
    outputTokens: number;
    ttlSeconds: number;
  },
): Promise<void> {
  const expiresAt = sql<Date>`now() + make_interval(secs => ${entry.ttlSeconds})`;
  await db
    .insertInto("llmCache")
    .values({
      key: entry.key,
      tenantId: entry.tenantId,
      model: entry.model,
      response: JSON.stringify(entry.response),
      inputTokens: entry.inputTokens,
      outputTokens: entry.outputTokens,
      expiresAt,
    })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({
        response: (eb) => eb.ref("excluded.response"),
        inputTokens: (eb) => eb.ref("excluded.inputTokens"),
        outputTokens: (eb) => eb.ref("excluded.outputTokens"),
        expiresAt,
        hitCount: 0,
      }),
    )
    .execute();
}

/** Deletes up to `limit` entries expired at `now`; returns how many. */
export async function deleteExpiredCacheEntries(db: Db, now: Date, limit = 5_000): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with gone as (
      delete from llm_cache where key in (
        select key from llm_cache where expires_at <= ${now} limit ${limit} for update skip locked)
      returning 1)
    select count(*)::int as n from gone`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
