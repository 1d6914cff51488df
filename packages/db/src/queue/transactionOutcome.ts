import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/**
 * The id of the caller's transaction if it has written anything (null if not): asked after a
 * write, it takes no id of its own, so a read-only transaction never spends one.
 */
export async function assignedTransactionId(tx: Db): Promise<string | null> {
  const { rows } = await sql<{ xid: string | null }>`select txid_current_if_assigned()::text as xid`.execute(
    tx,
  );
  return rows[0]?.xid ?? null;
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
