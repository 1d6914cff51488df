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

/** Deletes expired entries; returns how many. */
export async function deleteExpiredCacheEntries(db: Db): Promise<number> {
  const result = await db
    .deleteFrom("llmCache")
    .where("expiresAt", "<=", sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
