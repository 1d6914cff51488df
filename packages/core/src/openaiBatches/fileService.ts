import {
  type Db,
  deleteFile,
  type FilePurpose,
  findFile,
  finishFile,
  InvalidCursorError,
  insertFile,
  insertFileChunk,
  listFiles,
  readFileChunks,
  type StoredFile,
} from "@sluice/db";
import { z } from "zod";
import type { BatchScope } from "../batches/batchService.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { boundedText } from "../schemas/textFields.ts";
import { parseOrThrow } from "../schemas/validationError.ts";

/** Bytes per stored chunk: uploads and downloads hold one chunk in memory at a time. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** Purposes a caller may upload with (outputs and errors are written by Sluice). */
const uploadFieldsSchema = z.strictObject({
  purpose: z.literal("batch", { error: 'must be "batch" (the only purpose Sluice stores)' }),
});

/** Filters and paging of a file listing, as OpenAI's query takes them. */
const fileListQuerySchema = z.strictObject({
  purpose: z.enum(["batch", "batch_output", "batch_errors"]).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  after: z.string().max(100).optional(),
  order: z.literal("desc", { error: 'must be "desc" (newest first)' }).optional(),
});

/** An upload as the transport hands it over: the file part's stream, then the form's other fields. */
export interface FileUpload {
  /** Absent when the form had no `file` part. */
  file: { filename: string; content: AsyncIterable<Buffer> } | undefined;
  /** The form's text fields, known once the whole form has been read. */
  fields(): Promise<Record<string, string>>;
}

/** Uploading, listing, reading and deleting a tenant's files. */
export interface FileService {
  /** Stores an upload a chunk at a time; it is shown once whole, and a refused upload leaves nothing. */
  upload(scope: BatchScope, upload: FileUpload): Promise<StoredFile>;
  list(scope: BatchScope, query: unknown): Promise<{ items: StoredFile[]; hasMore: boolean }>;
  get(scope: BatchScope, id: string): Promise<StoredFile>;
  /** The file's row and its content, read a chunk at a time. */
  content(scope: BatchScope, id: string): Promise<{ file: StoredFile; chunks: AsyncGenerator<Buffer> }>;
  remove(scope: BatchScope, id: string): Promise<void>;
  /** Stores text Sluice generated (a batch's output or errors) inside the caller's transaction. */
  write(
    tx: Db,
    tenantId: string,
    file: { purpose: FilePurpose; filename: string; lines: AsyncIterable<string> },
  ): Promise<StoredFile>;
}

/** Not found, for a file that is unknown or another tenant's. */
export function fileNotFound(id: string): SluiceError {
  return new SluiceError("not_found", `file ${id} not found`, { details: { fileId: id } });
}

function fieldError(path: string, message: string): SluiceError {
  return new SluiceError("validation_error", `Invalid file upload: ${path}: ${message}.`, {
    details: { issues: [{ path, message }] },
  });
}

/** Writes `content` as chunks of {@link FILE_CHUNK_BYTES}; returns its size, or throws past `maxBytes`. */
async function writeChunks(
  tx: Db,
  fileId: string,
  content: AsyncIterable<Buffer | string>,
  maxBytes: number,
): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let seq = 0;
  const flush = async () => {
    await insertFileChunk(tx, fileId, seq++, Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  for await (const piece of content) {
    const buf = typeof piece === "string" ? Buffer.from(piece) : piece;
    total += buf.length;
    if (total > maxBytes)
      throw fieldError("file", `is larger than ${maxBytes} bytes, the most a file may hold`);
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes >= FILE_CHUNK_BYTES) await flush();
  }
  if (pendingBytes > 0) await flush();
  return total;
}

/** Creates the file service. */
export function createFileService(deps: { db: Db; maxBytes: number }): FileService {
  const { db, maxBytes } = deps;

  async function owned(scope: BatchScope, id: string): Promise<StoredFile> {
    const file = await findFile(db, scope.tenantId, id);
    if (!file) throw fileNotFound(id);
    return file;
  }

  return {
    async upload(scope, upload) {
      if (!upload.file) {
        // Read the rest of the form so that a bad purpose is reported alongside.
        const purpose = uploadFieldsSchema.safeParse(await upload.fields());
        const issues = [{ path: "file", message: "is required (a multipart/form-data file part)" }];
        if (!purpose.success) issues.push({ path: "purpose", message: 'must be "batch"' });
        throw new SluiceError("validation_error", "Invalid file upload: file: is required.", {
          details: { issues },
        });
      }
      const filename = parseOrThrow(boundedText(255), upload.file.filename || "upload.jsonl", "file name");
      const { file } = upload;
      // No transaction: a slow client must not hold a pooled connection while it sends. The row
      // stays `uploaded` (never shown) until whole; a refused or broken upload is deleted.
      const row = await insertFile(db, {
        tenantId: scope.tenantId,
        purpose: "batch",
        filename,
        status: "uploaded",
      });
      try {
        const bytes = await writeChunks(db, row.id, file.content, maxBytes);
        // The purpose may come after the file in the form: checked once the form is read.
        parseOrThrow(uploadFieldsSchema, await upload.fields(), "file upload");
        if (bytes === 0) throw fieldError("file", "is empty");
        return await finishFile(db, row.id, bytes);
      } catch (error) {
        await deleteFile(db, scope.tenantId, row.id).catch(() => undefined);
        throw error;
      }
    },
    async list(scope, query) {
      const q = parseOrThrow(fileListQuerySchema, query ?? {}, "file query");
      try {
        return await listFiles(db, scope.tenantId, q);
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw new SluiceError(
            "validation_error",
            `Invalid file query: after: no file ${q.after} of yours.`,
            {
              details: { issues: [{ path: "after", message: "is not the id of one of your files" }] },
            },
          );
        throw error;
      }
    },
    get: owned,
    async content(scope, id) {
      const file = await owned(scope, id);
      return { file, chunks: readFileChunks(db, file.id) };
    },
    async remove(scope, id) {
      if (!(await deleteFile(db, scope.tenantId, id))) throw fileNotFound(id);
    },
    async write(tx, tenantId, file) {
      const row = await insertFile(tx, { tenantId, purpose: file.purpose, filename: file.filename });
      const bytes = await writeChunks(tx, row.id, file.lines, Number.MAX_SAFE_INTEGER);
      return finishFile(tx, row.id, bytes);
    },
  };
}
