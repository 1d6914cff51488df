import { Readable } from "node:stream";
import {
  type Db,
  deleteFile,
  findOpenAiBatchLink,
  InvalidCursorError,
  insertOpenAiBatchLink,
  isFinalBatchStatus,
  listBatchResponses,
  listOpenAiBatchLinks,
  type OpenAiBatchLink,
  readFileChunks,
  type StoredFile,
  setOpenAiBatchFiles,
} from "@sluice/db";
import { z } from "zod";
import { inputLines } from "../batches/batchInput.ts";
import type { BatchScope, BatchService } from "../batches/batchService.ts";
import { type BatchRuntime, resolveBatchTarget } from "../batches/batchTarget.ts";
import type { PublicBatch } from "../batches/publicBatch.ts";
import { isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import type { FileService } from "./fileService.ts";
import { type OpenAiBatchObject, openAiBatchObject } from "./openaiBatchObject.ts";
import { errorLine, outputLine } from "./openaiBatchOutput.ts";

/** `POST /v1/batches` as OpenAI's SDK sends it. */
const createSchema = z.strictObject({
  input_file_id: z.string().min(1).max(100),
  endpoint: z.literal("/v1/chat/completions", { error: 'must be "/v1/chat/completions"' }),
  completion_window: z.literal("24h", { error: 'must be "24h"' }),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/** Paging of a batch listing, as OpenAI's query takes it. */
const listSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(100).optional(),
});

/** OpenAI's Batches API over Sluice's batches: created from an uploaded JSONL file. */
export interface OpenAiBatchService {
  create(scope: BatchScope, body: unknown): Promise<OpenAiBatchObject>;
  get(scope: BatchScope, id: string): Promise<OpenAiBatchObject>;
  list(scope: BatchScope, query: unknown): Promise<{ items: OpenAiBatchObject[]; hasMore: boolean }>;
  cancel(scope: BatchScope, id: string): Promise<OpenAiBatchObject>;
}

function lineError(line: number, path: string, message: string): SluiceError {
  return new SluiceError("validation_error", `Invalid batch requests: line ${line}: ${path}: ${message}.`, {
    details: { issues: [{ line, path: `line ${line}: ${path}`, message }], issueCount: 1 },
  });
}

function notFound(id: string): SluiceError {
  return new SluiceError("not_found", `batch ${id} not found`, { details: { batchId: id } });
}

/** Creates the OpenAI-shaped batch service over the batch and file services. */
export function createOpenAiBatchService(deps: {
  db: Db;
  runtime: BatchRuntime;
  batches: BatchService;
  files: FileService;
}): OpenAiBatchService {
  const { db, runtime, batches, files } = deps;

  const chunksOf = (file: StoredFile) => Readable.from(readFileChunks(db, file.id));

  /** The model the file's first request names: every line must name the same one. */
  async function modelOf(file: StoredFile): Promise<string> {
    for await (const { line, value } of inputLines(chunksOf(file))) {
      if (value === undefined) throw lineError(line, "(line)", "is too long");
      let parsed: { body?: { model?: unknown } };
      try {
        parsed = JSON.parse(String(value));
      } catch {
        throw lineError(line, "(line)", "is not valid JSON (the input file must be JSONL)");
      }
      const model = parsed?.body?.model;
      if (typeof model !== "string" || model.length === 0)
        throw lineError(line, "body.model", "is required: every line names the batch's model");
      try {
        resolveBatchTarget(runtime, model);
      } catch (error) {
        if (isSluiceError(error)) throw lineError(line, "body.model", error.message);
        throw error;
      }
      return model;
    }
    throw new SluiceError("validation_error", "Invalid batch requests: the input file has no requests.", {
      details: { issues: [{ path: "input_file_id", message: "names a file without requests" }] },
    });
  }

  async function* responseLines(tx: Db, batchId: string, succeeded: boolean): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await listBatchResponses(tx, batchId, { limit: 1000, cursor });
      for (const r of page.items)
        if ((r.status === "succeeded") === succeeded)
          yield `${JSON.stringify(succeeded ? outputLine(batchId, r) : errorLine(batchId, r))}\n`;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Writes a finished batch's output and error files once, on first read. */
  async function withFiles(
    scope: BatchScope,
    batch: PublicBatch,
    link: OpenAiBatchLink,
  ): Promise<OpenAiBatchLink> {
    if (!isFinalBatchStatus(batch.status) || link.filesWrittenAt) return link;
    return db.transaction().execute(async (tx) => {
      const locked = (await findOpenAiBatchLink(tx, scope.tenantId, link.batchId, { lock: true }))!;
      if (locked.filesWrittenAt) return locked;
      const write = async (purpose: "batch_output" | "batch_errors", succeeded: boolean) => {
        const name = `batch_${batch.id}_${succeeded ? "output" : "error"}.jsonl`;
        const file = await files.write(tx, scope.tenantId, {
          purpose,
          filename: name,
          lines: responseLines(tx, batch.id, succeeded),
        });
        // OpenAI names no file when there is nothing to put in it.
        if (file && file.bytes === 0) {
          await deleteFile(tx, scope.tenantId, file.id);
          return null;
        }
        return file?.id ?? null;
      };
      const outputFileId = await write("batch_output", true);
      const errorFileId = await write("batch_errors", false);
      await setOpenAiBatchFiles(tx, batch.id, { outputFileId, errorFileId });
      return { ...locked, outputFileId, errorFileId, filesWrittenAt: new Date() };
    });
  }

  async function view(scope: BatchScope, link: OpenAiBatchLink): Promise<OpenAiBatchObject> {
    const batch = await batches.get(scope, link.batchId);
    const withOutput = await withFiles(scope, batch, link);
    return openAiBatchObject(batch, withOutput, batch.retried);
  }

  async function owned(scope: BatchScope, id: string): Promise<OpenAiBatchLink> {
    const link = await findOpenAiBatchLink(db, scope.tenantId, id);
    if (!link) throw notFound(id);
    return link;
  }

  return {
    async create(scope, body) {
      const input = parseOrThrow(createSchema, body, "batch");
      const file = await files.get(scope, input.input_file_id);
      if (file.purpose !== "batch")
        throw new SluiceError(
          "validation_error",
          `Invalid batch: input_file_id: ${file.id} is not a batch input file.`,
          {
            details: {
              issues: [{ path: "input_file_id", message: 'must name a file uploaded with purpose "batch"' }],
            },
          },
        );
      const model = await modelOf(file);
      // Created, linked, filled and submitted in one transaction: a refused input leaves nothing, and
      // no crash can leave a running batch that /v1/batches does not list.
      let link: OpenAiBatchLink | undefined;
      await batches.create(
        scope,
        {
          name: file.filename.slice(0, 200),
          model,
          submit: true,
          ...(input.metadata ? { metadata: input.metadata } : {}),
        },
        {
          source: chunksOf(file),
          onCreated: async (tx, batch) => {
            link = await insertOpenAiBatchLink(tx, {
              batchId: batch.id,
              tenantId: scope.tenantId,
              endpoint: input.endpoint,
              inputFileId: file.id,
            });
          },
        },
      );
      return view(scope, link!);
    },
    async get(scope, id) {
      return view(scope, await owned(scope, id));
    },
    async list(scope, query) {
      const q = parseOrThrow(listSchema, query ?? {}, "batch query");
      let page: Awaited<ReturnType<typeof listOpenAiBatchLinks>>;
      try {
        page = await listOpenAiBatchLinks(db, scope.tenantId, q);
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw new SluiceError(
            "validation_error",
            `Invalid batch query: after: no batch ${q.after} of yours.`,
            {
              details: { issues: [{ path: "after", message: "is not the id of one of your batches" }] },
            },
          );
        throw error;
      }
      const items: OpenAiBatchObject[] = [];
      for (const link of page.items) items.push(await view(scope, link));
      return { items, hasMore: page.hasMore };
    },
    async cancel(scope, id) {
      const link = await owned(scope, id);
      await batches.cancel(scope, id);
      return view(scope, link);
    },
  };
}
