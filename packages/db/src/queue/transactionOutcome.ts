import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** The id of the caller's transaction (assigning one), to ask after it if its commit goes unanswered. */
export async function currentTransactionId(tx: Db): Promise<string> {
  const { rows } = await sql<{ xid: string }>`select txid_current()::text as xid`.execute(tx);
  return rows[0]!.xid;
}

/**
 * What became of a transaction: `in progress` while its backend has not yet noticed its client went
 * away, `unknown` when it is too old for Postgres to tell.
 */
export async function transactionStatus(
  db: Db,
  xid: string,
): Promise<"committed" | "aborted" | "in progress" | "unknown"> {
  const { rows } = await sql<{ status: string | null }>`select txid_status(${xid}::bigint) as status`.execute(
    db,
  );
  const status = rows[0]?.status;
  return status === "committed" || status === "aborted" || status === "in progress" ? status : "unknown";
}
