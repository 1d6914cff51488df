import { sql, type Updateable } from "kysely";
import type { Db } from "../createDb.ts";
import type {
  Batch,
  BatchesTable,
  BatchRequest,
  BatchRequestStatus,
  BatchResponse,
  BatchStatus,
  NewBatch,
  NewBatchResponse,
} from "../schema.ts";
import { pageOf } from "./paging.ts";

/** Statuses after which a batch never changes again. */
export const FINAL_BATCH_STATUSES: readonly BatchStatus[] = ["completed", "failed", "expired", "cancelled"];

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

/** Which of these custom ids the batch already holds. */
export async function existingCustomIds(db: Db, batchId: string, customIds: string[]): Promise<Set<string>> {
  if (customIds.length === 0) return new Set();
  const { rows } = await sql<{ customId: string }>`
    select custom_id from batch_requests
    where batch_id = ${batchId} and custom_id = any(${customIds}::text[])`.execute(db);
  return new Set(rows.map((r) => r.customId));
}

/** One validated request to store. */
export interface NewBatchRequest {
  customId: string;
  seq: number;
  /** The request body as JSON text. */
  body: string;
}

/** Inserts requests of a batch (in chunks of one statement each). */
export async function insertBatchRequests(
  tx: Db,
  batchId: string,
  requests: NewBatchRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 2000) {
    const chunk = requests.slice(i, i + 2000);
    await sql`
      insert into batch_requests (batch_id, custom_id, seq, body)
      select ${batchId}::uuid, c, s, b
      from unnest(${chunk.map((r) => r.customId)}::text[], ${chunk.map((r) => r.seq)}::int[],
        ${chunk.map((r) => r.body)}::jsonb[]) as x(c, s, b)`.execute(tx);
  }
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
 * Reads the requests of a batch's tier in input order, `chunk` rows per query: a batch of any
 * size is read without holding it whole.
 */
export async function* readBatchRequests(
  db: Db,
  batchId: string,
  tier: number,
  chunk = 1000,
): AsyncGenerator<BatchRequest> {
  let afterSeq = -1;
  for (;;) {
    const rows = await db
      .selectFrom("batchRequests")
      .selectAll()
      .where("batchId", "=", batchId)
      .where("tier", "=", tier)
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .limit(chunk)
      .execute();
    yield* rows;
    if (rows.length < chunk) return;
    afterSeq = rows.at(-1)!.seq;
  }
}

/** Sets the status of every request of a batch's tier that has one of `from`. */
export async function setBatchRequestStatus(
  tx: Db,
  batchId: string,
  tier: number,
  from: BatchRequestStatus[],
  to: BatchRequestStatus,
): Promise<number> {
  const result = await tx
    .updateTable("batchRequests")
    .set({ status: to })
    .where("batchId", "=", batchId)
    .where("tier", "=", tier)
    .where("status", "in", from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
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

/** Up to `limit` requests of a batch's tier that have no answer yet (in input order). */
export async function unansweredBatchRequests(
  db: Db,
  batchId: string,
  tier: number,
  limit = 1000,
): Promise<{ customId: string; seq: number; attempts: unknown[] }[]> {
  const { rows } = await sql<{ customId: string; seq: number; attempts: unknown[] }>`
    select r.custom_id, r.seq, r.attempts from batch_requests r
    where r.batch_id = ${batchId} and r.tier = ${tier}
      and not exists (select 1 from batch_responses s where s.batch_id = r.batch_id and s.custom_id = r.custom_id)
    order by r.seq limit ${limit}`.execute(db);
  return rows;
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
