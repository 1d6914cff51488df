import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { BatchRequest, BatchRequestStatus } from "../schema.ts";

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

/**
 * Reads the requests of a batch's tier in input order, `chunk` rows per query: a batch of any
 * size is read without holding it whole.
 */
export async function* readBatchRequests(
  db: Db,
  batchId: string,
  tier: number,
  chunk = 1000,
  /** Only requests in this state (the ones waiting to be sent, for a submit). */
  status?: BatchRequestStatus,
): AsyncGenerator<BatchRequest> {
  let afterSeq = -1;
  for (;;) {
    let query = db
      .selectFrom("batchRequests")
      .selectAll()
      .where("batchId", "=", batchId)
      .where("tier", "=", tier)
      .where("seq", ">", afterSeq);
    if (status) query = query.where("status", "=", status);
    const rows = await query.orderBy("seq").limit(chunk).execute();
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

/** What the worker knows of one request while storing its results. */
export interface KnownBatchRequest {
  customId: string;
  seq: number;
  tier: number;
  /** The tiers tried so far (JSON as stored). */
  attempts: unknown[];
  /**
   * What the request itself demands of an answer: its `tools`, `tool_choice` and `response_format`
   * (null when absent), so drafts are checked without reading whole bodies back.
   */
  contract: Record<string, unknown>;
}

/** The batch's requests among these custom ids (unknown ids are left out). */
export async function batchRequestsByCustomId(
  db: Db,
  batchId: string,
  customIds: string[],
): Promise<KnownBatchRequest[]> {
  if (customIds.length === 0) return [];
  const { rows } = await sql<KnownBatchRequest>`
    select custom_id, seq, attempts, tier,
      jsonb_build_object('tools', body->'tools', 'tool_choice', body->'tool_choice',
        'response_format', body->'response_format') as contract
    from batch_requests
    where batch_id = ${batchId} and custom_id = any(${customIds}::text[])`.execute(db);
  return rows;
}

/** How many of the batch's requests are at `tier`. */
export async function countTierRequests(db: Db, batchId: string, tier: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from batch_requests where batch_id = ${batchId} and tier = ${tier}`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * Moves requests still at `fromTier` up one tier, pending again, with their attempts so far.
 * Returns the custom ids moved (a request already moved on is skipped).
 */
export async function escalateBatchRequests(
  tx: Db,
  batchId: string,
  fromTier: number,
  escalations: { customId: string; attempts: unknown[] }[],
): Promise<string[]> {
  if (escalations.length === 0) return [];
  const { rows } = await sql<{ customId: string }>`
    update batch_requests r set tier = ${fromTier + 1}, status = 'pending', attempts = e.attempts
    from unnest(${escalations.map((e) => e.customId)}::text[], ${escalations.map((e) => JSON.stringify(e.attempts))}::jsonb[])
      as e(custom_id, attempts)
    where r.batch_id = ${batchId} and r.custom_id = e.custom_id and r.tier = ${fromTier}
    returning r.custom_id`.execute(tx);
  return rows.map((r) => r.customId);
}

/**
 * Sends requests of `tier` round again (pending, with their attempts so far), for a follow-up
 * provider batch after a retriable error. Returns the custom ids that were still at the tier.
 */
export async function retryBatchRequests(
  tx: Db,
  batchId: string,
  tier: number,
  retries: { customId: string; attempts: unknown[] }[],
): Promise<string[]> {
  if (retries.length === 0) return [];
  const { rows } = await sql<{ customId: string }>`
    update batch_requests r set status = 'pending', attempts = e.attempts
    from unnest(${retries.map((e) => e.customId)}::text[], ${retries.map((e) => JSON.stringify(e.attempts))}::jsonb[])
      as e(custom_id, attempts)
    where r.batch_id = ${batchId} and r.custom_id = e.custom_id and r.tier = ${tier}
    returning r.custom_id`.execute(tx);
  return rows.map((r) => r.customId);
}

/** How many requests of the batch's tier wait to be sent (retries, after a tier has run). */
export async function countPendingRequests(db: Db, batchId: string, tier: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from batch_requests
    where batch_id = ${batchId} and tier = ${tier} and status = 'pending'`.execute(db);
  return rows[0]?.n ?? 0;
}

/** How many times the batch's requests were sent again after a retriable provider error. */
export async function countBatchRetries(db: Db, batchId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum((select count(*) from jsonb_array_elements(r.attempts) a where a->>'retried' = 'true')), 0)::int as n
    from batch_requests r where r.batch_id = ${batchId}`.execute(db);
  return rows[0]?.n ?? 0;
}
