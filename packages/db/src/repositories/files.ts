import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type {
  FilePurpose,
  NewOpenAiBatchLink,
  NewStoredFile,
  OpenAiBatchLink,
  StoredFile,
} from "../fileTables.ts";
import { InvalidCursorError } from "./batches.ts";

const FILE_ID = /^file-[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An OpenAI-style page: the items and whether more follow (`after` is the last item's id). */
export interface AfterPage<T> {
  items: T[];
  hasMore: boolean;
}

/** Inserts a file's row; its content follows with {@link insertFileChunk}. */
export async function insertFile(db: Db, file: NewStoredFile): Promise<StoredFile> {
  return db.insertInto("files").values(file).returningAll().executeTakeFirstOrThrow();
}

/** Stores the `seq`th chunk of a file's content. */
export async function insertFileChunk(db: Db, fileId: string, seq: number, data: Buffer): Promise<void> {
  await db.insertInto("fileChunks").values({ fileId, seq, data }).execute();
}

/** Marks a file whole, with its size. */
export async function finishFile(db: Db, id: string, bytes: number): Promise<StoredFile> {
  return db
    .updateTable("files")
    .set({ bytes, status: "processed" })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A tenant's whole file; undefined for another tenant's, an unknown id or one still uploading. */
export async function findFile(db: Db, tenantId: string, id: string): Promise<StoredFile | undefined> {
  if (!FILE_ID.test(id)) return undefined;
  return db
    .selectFrom("files")
    .selectAll()
    .where("id", "=", id)
    .where("tenantId", "=", tenantId)
    .where("status", "=", "processed")
    .executeTakeFirst();
}

/** A file's content, a chunk at a time (each chunk one query: memory stays at one chunk). */
export async function* readFileChunks(db: Db, fileId: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const row = await db
      .selectFrom("fileChunks")
      .select("data")
      .where("fileId", "=", fileId)
      .where("seq", "=", seq)
      .executeTakeFirst();
    if (!row) return;
    yield row.data;
  }
}

/** A tenant's files, newest first, after the file `after` names. */
export async function listFiles(
  db: Db,
  tenantId: string,
  options: { limit: number; purpose?: FilePurpose | undefined; after?: string | undefined },
): Promise<AfterPage<StoredFile>> {
  let query = db
    .selectFrom("files")
    .selectAll()
    .where("tenantId", "=", tenantId)
    .where("status", "=", "processed");
  if (options.purpose) query = query.where("purpose", "=", options.purpose);
  if (options.after !== undefined) {
    const from = await findFile(db, tenantId, options.after);
    if (!from) throw new InvalidCursorError();
    query = query.where(({ eb, refTuple, tuple }) =>
      eb(refTuple("createdAt", "id"), "<", tuple(from.createdAt, from.id)),
    );
  }
  const rows = await query
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc")
    .limit(options.limit + 1)
    .execute();
  return { items: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/** Deletes a tenant's file and its content (also one still uploading); false when it is not theirs. */
export async function deleteFile(db: Db, tenantId: string, id: string): Promise<boolean> {
  if (!FILE_ID.test(id)) return false;
  const result = await db
    .deleteFrom("files")
    .where("id", "=", id)
    .where("tenantId", "=", tenantId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Deletes up to `limit` files still `uploaded` (hidden, never finished: their upload was cut off by
 * a crash) created before `before`, with their content. Returns how many went.
 */
export async function deleteIncompleteUploadsBefore(db: Db, before: Date, limit = 1000): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    delete from files where id in (
      select id from files where status = 'uploaded' and created_at < ${before}
      order by created_at limit ${limit}
      for update skip locked)
    returning id`.execute(db);
  return rows.length;
}

/** Links a batch to the OpenAI-style input file it was created from. */
export async function insertOpenAiBatchLink(db: Db, link: NewOpenAiBatchLink): Promise<OpenAiBatchLink> {
  return db.insertInto("openaiBatches").values(link).returningAll().executeTakeFirstOrThrow();
}

/** A tenant's OpenAI-style batch link; undefined for another tenant's or an unknown id. */
export async function findOpenAiBatchLink(
  db: Db,
  tenantId: string,
  batchId: string,
  options: { lock?: boolean } = {},
): Promise<OpenAiBatchLink | undefined> {
  if (!UUID.test(batchId)) return undefined;
  let query = db
    .selectFrom("openaiBatches")
    .selectAll()
    .where("batchId", "=", batchId)
    .where("tenantId", "=", tenantId);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** A tenant's OpenAI-style batch links, newest first, after the batch `after` names. */
export async function listOpenAiBatchLinks(
  db: Db,
  tenantId: string,
  options: { limit: number; after?: string | undefined },
): Promise<AfterPage<OpenAiBatchLink>> {
  let query = db.selectFrom("openaiBatches").selectAll().where("tenantId", "=", tenantId);
  if (options.after !== undefined) {
    const from = await findOpenAiBatchLink(db, tenantId, options.after);
    if (!from) throw new InvalidCursorError();
    query = query.where(({ eb, refTuple, tuple }) =>
      eb(refTuple("createdAt", "batchId"), "<", tuple(from.createdAt, from.batchId)),
    );
  }
  const rows = await query
    .orderBy("createdAt", "desc")
    .orderBy("batchId", "desc")
    .limit(options.limit + 1)
    .execute();
  return { items: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/** Records the output and error files generated for a finished batch. */
export async function setOpenAiBatchFiles(
  db: Db,
  batchId: string,
  files: { outputFileId: string | null; errorFileId: string | null },
): Promise<void> {
  await db
    .updateTable("openaiBatches")
    .set({ ...files, filesWrittenAt: sql<Date>`now()` })
    .where("batchId", "=", batchId)
    .execute();
}
