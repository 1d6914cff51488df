import {
  type Db,
  deleteDeadJobs,
  findJob,
  insertJobEvents,
  type Job,
  type JobQueue,
  listDeadJobs,
  lockDeadJobs,
  markJobsRequeued,
} from "@sluice/db";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";
import { storableDate } from "../schemas/dateFields.ts";
import { boundedText } from "../schemas/textFields.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { deadLetterQueueOf, type JobCatalog } from "./jobCatalog.ts";
import { newJobId } from "./jobIds.ts";
import { enqueueRows } from "./jobWebhooks.ts";
import { type PublicJob, publicJob } from "./publicJob.ts";

/** Most dead letters one requeue call moves. */
export const MAX_REQUEUE = 1000;

/** Filters of dead-letter listings and bulk requeues. */
export const deadLetterFilterSchema = z.strictObject({
  kind: boundedText(100, 0).optional(),
  errorCode: boundedText(100, 0).optional(),
  since: storableDate().optional(),
  until: storableDate().optional(),
  includeRequeued: z.boolean().optional(),
});

const listSchema = deadLetterFilterSchema.extend({
  limit: z.int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

const requeueSchema = z.union([
  z.strictObject({ ids: z.array(z.uuid()).min(1).max(MAX_REQUEUE) }),
  deadLetterFilterSchema.omit({ includeRequeued: true }).extend({ all: z.literal(true) }),
]);

const purgeSchema = z.strictObject({ before: storableDate(), kind: boundedText(100, 0).optional() });

/** What a requeue did: each new job, linked to the dead one it replaces. */
export interface RequeueOutcome {
  requeued: { from: string; job: PublicJob }[];
}

/** Dead letters for operators: list, show, requeue, purge. */
export interface DeadLetterService {
  list(query: unknown): Promise<{ items: PublicJob[]; nextCursor: string | null }>;
  get(id: string): Promise<PublicJob>;
  /** Requeues the given dead jobs, or all matching a filter (`{ all: true, kind? }`). */
  requeue(input: unknown): Promise<RequeueOutcome>;
  /** Deletes dead jobs that died before a date (and their dead-letter copies). */
  purge(input: unknown): Promise<{ purged: number }>;
}

/**
 * Queues a fresh job with the same kind, payload, priority and webhook as each dead or cancelled
 * one, linked to it (`requeuedFrom`); marks the originals requeued. Runs in the caller's transaction.
 */
export async function requeueJobs(
  tx: Db,
  queue: JobQueue,
  catalog: JobCatalog,
  originals: Job[],
): Promise<RequeueOutcome> {
  const rows = originals.map((job) => {
    const spec = catalog.get(job.kind);
    if (!spec)
      throw new SluiceError("conflict", `job ${job.id} is of a kind this version does not run: ${job.kind}`);
    return {
      id: newJobId(),
      tenantId: job.tenantId,
      kind: job.kind,
      queue: job.queue,
      priority: job.priority,
      payload: JSON.stringify(job.payload),
      maxAttempts: spec.retryLimit + 1,
      webhookUrl: job.webhookUrl,
      apiKeyId: job.apiKeyId,
      requeuedFrom: job.id,
    };
  });
  const created = await enqueueRows(tx, queue, rows);
  await markJobsRequeued(
    tx,
    originals.map((j) => j.id),
  );
  await insertJobEvents(
    tx,
    created.map((job) => ({
      jobId: job.requeuedFrom!,
      tenantId: job.tenantId,
      type: "requeued" as const,
      data: { newJobId: job.id },
    })),
  );
  const byKind = new Map<string, string[]>();
  for (const j of originals)
    if (j.status === "dead") byKind.set(j.kind, [...(byKind.get(j.kind) ?? []), j.id]);
  for (const [kind, ids] of byKind) await queue.deleteDeadLetterCopies(tx, deadLetterQueueOf(kind), ids);
  return { requeued: created.map((job) => ({ from: job.requeuedFrom!, job: publicJob(job) })) };
}

/** Creates the dead-letter service (admin: every tenant's dead jobs). */
export function createDeadLetterService(deps: {
  db: Db;
  queue: JobQueue;
  catalog: JobCatalog;
}): DeadLetterService {
  const { db, queue, catalog } = deps;
  return {
    async list(query) {
      const q = parseOrThrow(listSchema, query ?? {}, "dead-letter query");
      const page = await listDeadJobs(db, q);
      return { items: page.items.map(publicJob), nextCursor: page.nextCursor };
    },
    async get(id) {
      const job = await findJob(db, parseOrThrow(z.uuid(), id, "job id"));
      if (job?.status !== "dead") throw new SluiceError("not_found", `dead letter ${id} not found`);
      return publicJob(job);
    },
    async requeue(input) {
      const q = parseOrThrow(requeueSchema, input, "requeue");
      return db.transaction().execute(async (tx) => {
        const originals = await lockDeadJobs(
          tx,
          "ids" in q ? { ids: q.ids, limit: MAX_REQUEUE } : { ...q, limit: MAX_REQUEUE },
        );
        if ("ids" in q) {
          const found = new Set(originals.map((j) => j.id));
          const missing = q.ids.filter((id) => !found.has(id));
          if (missing.length > 0) {
            throw new SluiceError(
              "not_found",
              `not dead letters (or already requeued): ${missing.join(", ")}`,
              {
                details: { ids: missing },
              },
            );
          }
        }
        return requeueJobs(tx, queue, catalog, originals);
      });
    },
    async purge(input) {
      const q = parseOrThrow(purgeSchema, input, "purge");
      return db.transaction().execute(async (tx) => {
        const deleted = await deleteDeadJobs(tx, q);
        const byQueue = new Map<string, string[]>();
        for (const d of deleted) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d.id]);
        for (const [name, ids] of byQueue)
          await queue.deleteDeadLetterCopies(tx, deadLetterQueueOf(name), ids);
        return { purged: deleted.length };
      });
    },
  };
}
