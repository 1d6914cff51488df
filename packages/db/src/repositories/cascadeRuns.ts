import type { Insertable } from "kysely";
import type { Db } from "../createDb.ts";
import type { CascadeAttempt, CascadeRun, CascadeRunsTable } from "../schema.ts";

/** Stores a cascade run with its attempts in one transaction; returns the run id. */
export async function insertCascadeRun(
  db: Db,
  run: Insertable<CascadeRunsTable>,
  attempts: Omit<CascadeAttempt, "id" | "runId">[],
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const { id } = await trx.insertInto("cascadeRuns").values(run).returning("id").executeTakeFirstOrThrow();
    if (attempts.length > 0) {
      await trx
        .insertInto("cascadeAttempts")
        .values(attempts.map((a) => ({ ...a, runId: id })))
        .execute();
    }
    return id;
  });
}

/** A run and its attempts, scoped to a tenant when one is given. */
export async function findCascadeRun(
  db: Db,
  id: string,
  tenantId?: string,
): Promise<{ run: CascadeRun; attempts: CascadeAttempt[] } | undefined> {
  let query = db.selectFrom("cascadeRuns").selectAll().where("id", "=", id);
  if (tenantId) query = query.where("tenantId", "=", tenantId);
  const run = await query.executeTakeFirst();
  if (!run) return undefined;
  const attempts = await db
    .selectFrom("cascadeAttempts")
    .selectAll()
    .where("runId", "=", id)
    .orderBy("tier")
    .execute();
  return { run, attempts };
}
