import {
  BATCH_STATUSES,
  type Batch,
  type BatchStatus,
  batchStatsByStatus,
  type Db,
  deleteDraftBatch,
  ensureTenantWebhookSecret,
  findBatch,
  InvalidCursorError,
  insertBatch,
  isFinalBatchStatus,
  listBatches,
  listBatchRequests,
  listBatchResponses,
  lockBatch,
  updateBatch,
} from "@sluice/db";
import { z } from "zod";
import { type ApiKeyPolicy, assertModelAllowed } from "../auth/keyPolicy.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { JobService } from "../jobs/jobService.ts";
import { generateWebhookSecret } from "../jobs/webhookSignature.ts";
import type { RateLimiter } from "../limits/rateLimiter.ts";
import { boundedText, webhookUrlSchema } from "../schemas/textFields.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { addBatchLines } from "./batchAdmission.ts";
import { admitBatchSubmission } from "./batchBudget.ts";
import type { BatchInputSource } from "./batchInput.ts";
import { type BatchRuntime, resolveBatchTarget } from "./batchTarget.ts";
import {
  type PublicBatch,
  type PublicBatchRequest,
  type PublicBatchResponse,
  publicBatch,
  publicBatchRequest,
  publicBatchResponse,
} from "./publicBatch.ts";

export { MAX_REPORTED_ISSUES } from "./batchAdmission.ts";

/** What callers send to create a batch. */
export const createBatchInputSchema = z.strictObject({
  name: boundedText(200),
  description: boundedText(2000, 0).optional(),
  /** A chat model id or `cascade:<name>`. */
  model: boundedText(200),
  completionWindow: z.literal("24h").default("24h"),
  webhookUrl: webhookUrlSchema.optional(),
  metadata: z
    .record(boundedText(64), boundedText(512, 0))
    // Providers keep 16 keys; Sluice adds its batch id.
    .refine((m) => Object.keys(m).length <= 15, "must have at most 15 keys")
    .default({}),
  /** Requests to add at once (`{ customId, body }` or OpenAI batch-file lines). */
  requests: z.array(z.unknown()).max(10_000).optional(),
  /** Submit right after creating. */
  submit: z.boolean().default(false),
});

const batchStatusSchema = z.enum(BATCH_STATUSES);

/** Filters and paging of a batch listing. */
export const batchListQuerySchema = z.strictObject({
  limit: z.int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  status: batchStatusSchema.optional(),
});

/** Paging of a batch's requests or responses. */
export const batchPageQuerySchema = z.strictObject({
  limit: z.int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

/** Who is asking. */
export interface BatchScope {
  tenantId: string;
  /** The key creating the batch: its model list applies to the batch's model. */
  apiKey?: (Pick<ApiKeyPolicy, "allowedModels"> & { id?: string }) | undefined;
  requestId?: string | undefined;
}

/** Totals over a tenant's batches. */
export interface BatchStats {
  byStatus: Partial<Record<BatchStatus, number>>;
  batches: number;
  requests: number;
  succeeded: number;
  errored: number;
  usage: { inputTokens: number; outputTokens: number };
  costMicros: number;
  syncCostMicros: number;
  savingsMicros: number;
}

/** What a caller creating a batch from elsewhere (an uploaded file) adds to the create's transaction. */
export interface BatchCreateOptions {
  /** Requests to add, read inside the create's transaction (a stream of JSONL, say). */
  source?: BatchInputSource;
  /** Runs right after the batch row is inserted, in the same transaction (links it elsewhere). */
  onCreated?: (tx: Db, batch: Batch) => Promise<void>;
}

/** Creating, filling, submitting and reading batches; the worker runs them. */
export interface BatchService {
  /**
   * Creates a batch; with `requests` or `options.source` it is filled, and with `submit` submitted,
   * all in one transaction: a failure (or a crash) at any step leaves no trace of it.
   */
  create(scope: BatchScope, input: unknown, options?: BatchCreateOptions): Promise<PublicBatch>;
  /** Adds requests to a draft: all of them, or none (every bad line reported with its number). */
  addRequests(
    scope: BatchScope,
    id: string,
    source: BatchInputSource,
  ): Promise<{ added: number; batch: PublicBatch }>;
  list(scope: BatchScope, query: unknown): Promise<{ items: PublicBatch[]; nextCursor: string | null }>;
  get(scope: BatchScope, id: string): Promise<PublicBatch>;
  listRequests(
    scope: BatchScope,
    id: string,
    query: unknown,
  ): Promise<{ items: PublicBatchRequest[]; nextCursor: string | null }>;
  listResponses(
    scope: BatchScope,
    id: string,
    query: unknown,
  ): Promise<{ items: PublicBatchResponse[]; nextCursor: string | null }>;
  submit(scope: BatchScope, id: string): Promise<PublicBatch>;
  cancel(scope: BatchScope, id: string): Promise<PublicBatch>;
  deleteDraft(scope: BatchScope, id: string): Promise<void>;
  /** The batch's answers as JSONL lines (input order), read page by page. */
  results(scope: BatchScope, id: string): Promise<AsyncGenerator<string>>;
  stats(scope: BatchScope): Promise<BatchStats>;
}

/** Runs a listing; a cursor that is not one of ours is the caller's mistake. */
async function paged<T>(list: () => Promise<T>): Promise<T> {
  try {
    return await list();
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new SluiceError("validation_error", error.message, {
        details: { issues: [{ path: "cursor", message: "is not a cursor of this listing" }] },
      });
    throw error;
  }
}

function notFound(id: string): SluiceError {
  return new SluiceError("not_found", `batch ${id} not found`, { details: { batchId: id } });
}

/** Creates the batch service. */
export function createBatchService(deps: {
  db: Db;
  jobs: JobService;
  runtime: BatchRuntime;
  /** Counts each submission as a request of the tenant's (none: submissions are not rate limited). */
  rateLimiter?: RateLimiter;
}): BatchService {
  const { db, jobs, runtime } = deps;

  async function owned(scope: BatchScope, id: string, tx: Db = db): Promise<Batch> {
    const batch = await findBatch(tx, scope.tenantId, id);
    if (!batch) throw notFound(id);
    return batch;
  }

  async function enqueueSubmit(tx: Db, batch: Batch): Promise<void> {
    const { job } = await jobs.enqueueIn(
      tx,
      { tenantId: null },
      {
        kind: "batch.submit",
        payload: { batchId: batch.id, tier: batch.tier },
        idempotencyKey: `batch.submit:${batch.id}:${batch.tier}`,
      },
    );
    await updateBatch(tx, batch.id, { jobId: job.id });
  }

  async function submitLocked(tx: Db, batch: Batch): Promise<Batch> {
    if (batch.status !== "draft")
      throw new SluiceError("conflict", `batch ${batch.id} is already ${batch.status}`, {
        details: { batchId: batch.id, status: batch.status },
      });
    if (batch.requestCount === 0)
      throw new SluiceError(
        "validation_error",
        `batch ${batch.id} has no requests; add some before submitting`,
      );
    // A submission is one request under the rate limit (429), and a budget that plainly cannot pay
    // for the first tier refuses it (402), here.
    await admitBatchSubmission(
      { db: tx, rateLimiter: deps.rateLimiter },
      batch,
      resolveBatchTarget(runtime, batch.model),
    );
    const submitted = await updateBatch(tx, batch.id, { status: "submitted", submittedAt: new Date() });
    await enqueueSubmit(tx, submitted);
    return submitted;
  }

  return {
    async create(scope, raw, options = {}) {
      const input = parseOrThrow(createBatchInputSchema, raw, "batch");
      const target = resolveBatchTarget(runtime, input.model);
      assertModelAllowed(scope.apiKey, input.model);
      if (input.webhookUrl) await jobs.outbound.assertAllowed(input.webhookUrl, "webhookUrl");
      const batch = await db.transaction().execute(async (tx) => {
        // Batch webhooks are signed with the tenant's secret: a tenant that never set one gets one now.
        if (input.webhookUrl) await ensureTenantWebhookSecret(tx, scope.tenantId, generateWebhookSecret());
        let created = await insertBatch(tx, {
          tenantId: scope.tenantId,
          apiKeyId: scope.apiKey?.id ?? null,
          name: input.name,
          description: input.description ?? null,
          provider: target.tiers[0]!.provider.name,
          model: input.model,
          completionWindow: input.completionWindow,
          webhookUrl: input.webhookUrl ?? null,
          metadata: JSON.stringify(input.metadata),
        });
        await options.onCreated?.(tx, created);
        if (input.requests && input.requests.length > 0) {
          await addBatchLines(tx, runtime, created, input.requests);
          created = (await lockBatch(tx, created.id))!;
        }
        if (options.source) {
          await addBatchLines(tx, runtime, created, options.source);
          created = (await lockBatch(tx, created.id))!;
        }
        return input.submit ? submitLocked(tx, created) : created;
      });
      return publicBatch(batch);
    },
    async addRequests(scope, id, source) {
      return db.transaction().execute(async (tx) => {
        const found = await owned(scope, id, tx);
        const batch = (await lockBatch(tx, found.id))!;
        if (batch.status !== "draft")
          throw new SluiceError(
            "conflict",
            `batch ${id} is ${batch.status}; requests can only be added to a draft`,
            {
              details: { batchId: id, status: batch.status },
            },
          );
        const added = await addBatchLines(tx, runtime, batch, source);
        return { added, batch: publicBatch((await lockBatch(tx, batch.id))!) };
      });
    },
    async list(scope, query) {
      const q = parseOrThrow(batchListQuerySchema, query ?? {}, "batch query");
      const page = await paged(() => listBatches(db, scope.tenantId, q));
      return { items: page.items.map(publicBatch), nextCursor: page.nextCursor };
    },
    async get(scope, id) {
      return publicBatch(await owned(scope, id));
    },
    async listRequests(scope, id, query) {
      const q = parseOrThrow(batchPageQuerySchema, query ?? {}, "batch request query");
      const batch = await owned(scope, id);
      const page = await paged(() => listBatchRequests(db, batch.id, q));
      return { items: page.items.map(publicBatchRequest), nextCursor: page.nextCursor };
    },
    async listResponses(scope, id, query) {
      const q = parseOrThrow(batchPageQuerySchema, query ?? {}, "batch response query");
      const batch = await owned(scope, id);
      const page = await paged(() => listBatchResponses(db, batch.id, q));
      return { items: page.items.map(publicBatchResponse), nextCursor: page.nextCursor };
    },
    async submit(scope, id) {
      return db.transaction().execute(async (tx) => {
        const found = await owned(scope, id, tx);
        return publicBatch(await submitLocked(tx, (await lockBatch(tx, found.id))!));
      });
    },
    async cancel(scope, id) {
      const batch = await db.transaction().execute(async (tx) => {
        const found = await owned(scope, id, tx);
        const locked = (await lockBatch(tx, found.id))!;
        if (isFinalBatchStatus(locked.status) || locked.status === "cancelling")
          throw new SluiceError("conflict", `batch ${id} is already ${locked.status}`, {
            details: { batchId: id, status: locked.status },
          });
        if (locked.status === "draft")
          throw new SluiceError("conflict", `batch ${id} is a draft; delete it instead`, {
            details: { batchId: id, status: locked.status },
          });
        const cancelling = await updateBatch(tx, locked.id, { status: "cancelling" });
        // A poll tells the provider at once (the regular polls carry on as well).
        await jobs.enqueueIn(
          tx,
          { tenantId: null },
          {
            kind: "batch.poll",
            payload: { batchId: locked.id, seq: -1 },
            idempotencyKey: `batch.cancel:${locked.id}`,
          },
        );
        return cancelling;
      });
      return publicBatch(batch);
    },
    async deleteDraft(scope, id) {
      const batch = await owned(scope, id);
      if (!(await deleteDraftBatch(db, scope.tenantId, batch.id)))
        throw new SluiceError("conflict", `batch ${id} is ${batch.status}; only drafts can be deleted`, {
          details: { batchId: id, status: batch.status },
        });
    },
    async results(scope, id) {
      const batch = await owned(scope, id);
      return (async function* () {
        let cursor: string | undefined;
        do {
          const page = await listBatchResponses(db, batch.id, { limit: 1000, cursor });
          for (const r of page.items) {
            const p = publicBatchResponse(r);
            yield `${JSON.stringify({
              custom_id: p.customId,
              status: p.status,
              model: p.model,
              response: p.response,
              error: p.error,
              usage: { input_tokens: p.usage.inputTokens, output_tokens: p.usage.outputTokens },
              cost_micros: p.costMicros,
              attempts: p.attempts,
            })}\n`;
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      })();
    },
    async stats(scope) {
      const rows = await batchStatsByStatus(db, scope.tenantId);
      const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
      const costMicros = sum((r) => r.costMicros);
      const syncCostMicros = sum((r) => r.syncCostMicros);
      return {
        byStatus: Object.fromEntries(rows.map((r) => [r.status, r.batches])),
        batches: sum((r) => r.batches),
        requests: sum((r) => r.requests),
        succeeded: sum((r) => r.succeeded),
        errored: sum((r) => r.errored),
        usage: { inputTokens: sum((r) => r.inputTokens), outputTokens: sum((r) => r.outputTokens) },
        costMicros,
        syncCostMicros,
        savingsMicros: syncCostMicros - costMicros,
      };
    },
  };
}
