import { sql, type Updateable } from "kysely";
import type { Db } from "../createDb.ts";
import type {
  Batch,
  BatchesTable,
  BatchRequest,
  BatchResponse,
  BatchResponseStatus,
  BatchStatus,
  NewBatch,
  NewBatchResponse,
} from "../schema.ts";
import { pageOf } from "./paging.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `id` can be a batch id (anything else is simply not found). */
export function isBatchId(id: string): boolean {
  return UUID.test(id);
}

/** A page of rows and the cursor of the next one (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function encodeCursor(prefix: string, value: string | number): string {
  return Buffer.from(`${prefix}:${value}`).toString("base64url");
}

/** A listing cursor that is not one of Sluice's. */
export class InvalidCursorError extends Error {
  constructor() {
    super("invalid cursor: pass the nextCursor of a previous page");
    this.name = "InvalidCursorError";
  }
}

function decodeCursor(prefix: string, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!text.startsWith(`${prefix}:`)) throw new InvalidCursorError();
  return text.slice(prefix.length + 1);
}

/** The input position a seq cursor names (an int4), or -1 for the first page. */
function seqAfter(prefix: string, cursor: string | undefined): number {
  const after = decodeCursor(prefix, cursor);
  if (after === undefined) return -1;
  const seq = Number(after);
  if (!/^\d{1,10}$/.test(after) || seq > 2_147_483_647) throw new InvalidCursorError();
  return seq;
}

/** Inserts a batch (a draft unless told otherwise). */
export async function insertBatch(db: Db, batch: NewBatch): Promise<Batch> {
  return db.insertInto("batches").values(batch).returningAll().executeTakeFirstOrThrow();
}

/** A tenant's batch; undefined for another tenant's or an unknown id. */
export async function findBatch(db: Db, tenantId: string, id: string): Promise<Batch | undefined> {
  if (!isBatchId(id)) return undefined;
  return db
    .selectFrom("batches")
    .selectAll()
    .where("id", "=", id)
    .where("tenantId", "=", tenantId)
    .executeTakeFirst();
}

/** Any batch by id, locked for the rest of the transaction (for the worker and writers). */
export async function lockBatch(tx: Db, id: string): Promise<Batch | undefined> {
  if (!isBatchId(id)) return undefined;
  return tx.selectFrom("batches").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

/** Any batch by id. */
export async function findBatchById(db: Db, id: string): Promise<Batch | undefined> {
  if (!isBatchId(id)) return undefined;
  return db.selectFrom("batches").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Updates a batch; returns it as it is now. */
/**
 * Counts `delta` more of a batch's cost as booked against its budgets, provided the count is still
 * `expected` (a concurrent booking of the same cost finds it moved); true when counted.
 */
export async function addBatchBudgetBooked(
  db: Db,
  id: string,
  expected: number,
  delta: number,
): Promise<boolean> {
  const result = await db
    .updateTable("batches")
    .set((eb) => ({ budgetBookedMicros: eb("budgetBookedMicros", "+", delta) }))
    .where("id", "=", id)
    .where("budgetBookedMicros", "=", expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Clears the batch's budget holder if it is still `holder` (a newer tier's is left alone). */
export async function clearBatchBudgetHolder(db: Db, id: string, holder: string): Promise<void> {
  await db
    .updateTable("batches")
    .set({ budgetHolder: null, budgetDay: null })
    .where("id", "=", id)
    .where("budgetHolder", "=", holder)
    .execute();
}

export async function updateBatch(
  db: Db,
  id: string,
  patch: Omit<Updateable<BatchesTable>, "id">,
): Promise<Batch> {
  return db
    .updateTable("batches")
    .set({ ...patch, updatedAt: sql<Date>`now()` })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Advances the batch's poll sequence and returns the new value. With `expected`, only from that
 * value: undefined when another poll chain has moved it on (or the batch is gone).
 */
export async function advanceBatchPollSeq(
  tx: Db,
  batchId: string,
  expected?: number,
): Promise<number | undefined> {
  const { rows } = await sql<{ pollSeq: number }>`
    update batches set poll_seq = poll_seq + 1, updated_at = now()
    where id = ${batchId} ${expected === undefined ? sql`` : sql`and poll_seq = ${expected}`}
    returning poll_seq`.execute(tx);
  return rows[0]?.pollSeq;
}

/** Amounts to add to a batch's running totals as its answers are stored. */
export interface BatchTally {
  /** Answers stored, by their status. */
  answered?: Partial<Record<BatchResponseStatus, number>>;
  inputTokens?: number;
  outputTokens?: number;
  costMicros?: number;
  syncCostMicros?: number;
  topTierCostMicros?: number;
  /** Provider results read so far (never moves back). */
  resultsRead?: number;
  /** Requests sent again after a retriable provider error. */
  retried?: number;
}

/** Adds to a batch's answer counts, tokens and costs in one statement. */
export async function addToBatchTotals(tx: Db, batchId: string, tally: BatchTally): Promise<void> {
  const answered = tally.answered ?? {};
  await sql`
    update batches set
      succeeded_count = succeeded_count + ${answered.succeeded ?? 0},
      errored_count = errored_count + ${answered.errored ?? 0},
      expired_count = expired_count + ${answered.expired ?? 0},
      cancelled_count = cancelled_count + ${answered.cancelled ?? 0},
      input_tokens = input_tokens + ${tally.inputTokens ?? 0},
      output_tokens = output_tokens + ${tally.outputTokens ?? 0},
      cost_micros = cost_micros + ${tally.costMicros ?? 0},
      sync_cost_micros = sync_cost_micros + ${tally.syncCostMicros ?? 0},
      top_tier_cost_micros = top_tier_cost_micros + ${tally.topTierCostMicros ?? 0},
      results_read = greatest(results_read, ${tally.resultsRead ?? 0}),
      retried_count = retried_count + ${tally.retried ?? 0},
      updated_at = now()
    where id = ${batchId}`.execute(tx);
}

/** A tenant's batches, newest first. */
export async function listBatches(
  db: Db,
  tenantId: string,
  options: { limit: number; status?: BatchStatus | undefined; cursor?: string | undefined },
): Promise<Page<Batch>> {
  const after = decodeCursor("b", options.cursor);
  let query = db.selectFrom("batches").selectAll().where("tenantId", "=", tenantId);
  if (options.status) query = query.where("status", "=", options.status);
  if (after !== undefined) {
    if (!isBatchId(after)) throw new InvalidCursorError();
    query = query.where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple("createdAt", "id"),
        "<",
        selectFrom("batches as c")
          .select(["c.createdAt", "c.id"])
          .where("c.id", "=", after)
          .where("c.tenantId", "=", tenantId) as never,
      ),
    );
  }
  const rows = await query
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc")
    .limit(options.limit + 1)
    .execute();
  return pageOf(rows, options.limit, (last) => encodeCursor("b", last.id));
}

/** Deletes a tenant's draft; false when it is not a draft (or not theirs). */
export async function deleteDraftBatch(db: Db, tenantId: string, id: string): Promise<boolean> {
  if (!isBatchId(id)) return false;
  const result = await db
    .deleteFrom("batches")
    .where("id", "=", id)
    .where("tenantId", "=", tenantId)
    .where("status", "=", "draft")
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Requests of a batch in input order, by cursor. */
export async function listBatchRequests(
  db: Db,
  batchId: string,
  options: { limit: number; cursor?: string | undefined; tier?: number | undefined },
): Promise<Page<BatchRequest>> {
  const afterSeq = seqAfter("r", options.cursor);
  let query = db
    .selectFrom("batchRequests")
    .selectAll()
    .where("batchId", "=", batchId)
    .where("seq", ">", afterSeq);
  if (options.tier !== undefined) query = query.where("tier", "=", options.tier);
  const rows = await query
    .orderBy("seq")
    .limit(options.limit + 1)
    .execute();
  return pageOf(rows, options.limit, (last) => encodeCursor("r", last.seq));
}

/**
 * Stores answers; an answer already stored for the custom id is kept (a repeated read writes
 * nothing twice). Returns the rows inserted.
 */
export async function insertBatchResponses(tx: Db, responses: NewBatchResponse[]): Promise<BatchResponse[]> {
  if (responses.length === 0) return [];
  const rows = await tx
    .insertInto("batchResponses")
    .values(responses)
    .onConflict((oc) => oc.columns(["batchId", "customId"]).doNothing())
    .returningAll()
    .execute();
  if (rows.length > 0) {
    const byStatus = new Map<string, string[]>();
    for (const r of rows) byStatus.set(r.status, [...(byStatus.get(r.status) ?? []), r.customId]);
    for (const [status, ids] of byStatus) {
      await sql`update batch_requests set status = ${status}
        where batch_id = ${rows[0]!.batchId} and custom_id = any(${ids}::text[])`.execute(tx);
    }
  }
  return rows;
}

/** Answers of a batch in input order, by cursor. */
export async function listBatchResponses(
  db: Db,
  batchId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<Page<BatchResponse>> {
  const afterSeq = seqAfter("s", options.cursor);
  const rows = await db
    .selectFrom("batchResponses")
    .selectAll()
    .where("batchId", "=", batchId)
    .where("seq", ">", afterSeq)
    .orderBy("seq")
    .limit(options.limit + 1)
    .execute();
  return pageOf(rows, options.limit, (last) => encodeCursor("s", last.seq));
}

/** Per-status counts and sums over a tenant's batches. */
export interface BatchStatsRow {
  status: BatchStatus;
  batches: number;
  requests: number;
  succeeded: number;
  errored: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  syncCostMicros: number;
}

/** Counts and sums of a tenant's batches, by status. */
export async function batchStatsByStatus(db: Db, tenantId: string): Promise<BatchStatsRow[]> {
  const { rows } = await sql<BatchStatsRow>`
    select status, count(*)::int8 as batches, coalesce(sum(request_count), 0)::int8 as requests,
      coalesce(sum(succeeded_count), 0)::int8 as succeeded, coalesce(sum(errored_count), 0)::int8 as errored,
      coalesce(sum(input_tokens), 0)::int8 as input_tokens, coalesce(sum(output_tokens), 0)::int8 as output_tokens,
      coalesce(sum(cost_micros), 0)::int8 as cost_micros, coalesce(sum(sync_cost_micros), 0)::int8 as sync_cost_micros
    from batches where tenant_id = ${tenantId}
    group by status order by status`.execute(db);
  return rows;
}
