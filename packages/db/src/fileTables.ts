import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/** Why a file was stored: a batch input, or a finished batch's answers or errors. */
export type FilePurpose = "batch" | "batch_output" | "batch_errors";

/** Where a file is: `uploaded` while its content is written, `processed` once whole. */
export type FileStatus = "uploaded" | "processed" | "error";

/** `files`: a tenant's file, as OpenAI's Files API describes one (content in `file_chunks`). */
export interface FilesTable {
  id: Generated<string>;
  tenantId: string;
  purpose: FilePurpose;
  filename: string;
  bytes: ColumnType<number, number | undefined, number>;
  status: ColumnType<FileStatus, FileStatus | undefined, FileStatus>;
  createdAt: CreatedAt;
}

/** `file_chunks`: a file's content, in order. */
export interface FileChunksTable {
  fileId: string;
  seq: number;
  data: Buffer;
}

/** `openai_batches`: a batch created through OpenAI's `/v1/batches`, with its files. */
export interface OpenAiBatchesTable {
  batchId: string;
  tenantId: string;
  endpoint: string;
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  filesWrittenAt: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  createdAt: CreatedAt;
}

export type StoredFile = Selectable<FilesTable>;
export type NewStoredFile = Insertable<FilesTable>;
export type OpenAiBatchLink = Selectable<OpenAiBatchesTable>;
export type NewOpenAiBatchLink = Insertable<OpenAiBatchesTable>;
