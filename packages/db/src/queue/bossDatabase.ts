import { CompiledQuery } from "kysely";
import type { Db } from "../createDb.ts";

/** The statement runner pg-boss accepts as `{ db }`, so its writes join a caller's transaction. */
export interface BossDatabase {
  // biome-ignore lint/suspicious/noExplicitAny: pg-boss's own IDatabase signature
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

/** Runs pg-boss's statements on `db` (a Kysely transaction, usually), without Sluice's camelCase mapping. */
export function bossDatabase(db: Db): BossDatabase {
  const raw = db.withoutPlugins();
  return {
    async executeSql(text, values = []) {
      const result = await raw.executeQuery(CompiledQuery.raw(text, values));
      // biome-ignore lint/suspicious/noExplicitAny: pg-boss's own IDatabase signature
      return { rows: result.rows as any[] };
    },
  };
}
