import type { Db } from "../createDb.ts";
import type { LlmCall, NewLlmCall } from "../schema.ts";

/** Inserts many call-log rows in one statement. */
export async function insertLlmCalls(db: Db, rows: NewLlmCall[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto("llmCalls").values(rows).execute();
}

/** Call-log rows of one request, oldest first. */
export async function listLlmCallsByRequest(db: Db, requestId: string): Promise<LlmCall[]> {
  return db.selectFrom("llmCalls").selectAll().where("requestId", "=", requestId).orderBy("id").execute();
}
