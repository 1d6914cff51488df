import type { QueueDefinition } from "@sluice/db";
import { z } from "zod";
import { chatRequestSchema } from "../schemas/chatRequest.ts";
import { embeddingsRequestSchema } from "../schemas/embeddingsRequest.ts";
import { boundedText } from "../schemas/textFields.ts";

/** Priorities a job can run at; higher runs first within its queue. */
export const jobPriorities = { high: 10, default: 0, low: -10 } as const;
/** A named priority. */
export type JobPriority = keyof typeof jobPriorities;

/** How one kind of job is queued, retried and limited. */
export interface JobKindSpec<P = unknown> {
  kind: string;
  description: string;
  /** Validated on enqueue and again before each attempt. */
  payload: z.ZodType<P>;
  priority: JobPriority;
  /** Retries after the first attempt, for retriable errors only. */
  retryLimit: number;
  /** First retry delay; doubles (with jitter) when `retryBackoff`, up to `retryDelayMaxSeconds`. */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  retryDelayMaxSeconds: number;
  /** Hard limit of an attempt: pg-boss fails it after this, even if the worker died. */
  timeLimitSeconds: number;
  /** The handler's signal aborts at this point (with a warning), before the hard limit. */
  softTimeLimitSeconds: number;
  /** Running it twice has the effect of running it once (a crashed worker's job runs again). */
  idempotent: boolean;
  /** Enqueued by Sluice itself, never by tenants. */
  internal?: boolean;
}

const MAX_BATCH_TICKETS = 1000;
const MAX_EMBEDDING_INPUTS = 2048;

/** Payload of `tickets.classify`. */
export const classifyTicketPayload = z.strictObject({ ticketId: z.uuid() });

/** Payload of `tickets.classifyBatch`: the given tickets, or up to `limit` pending ones. */
export const classifyBatchPayload = z.union([
  z.strictObject({ ticketIds: z.array(z.uuid()).min(1).max(MAX_BATCH_TICKETS) }),
  z.strictObject({
    pending: z.literal(true),
    limit: z.int().min(1).max(MAX_BATCH_TICKETS).default(MAX_BATCH_TICKETS),
  }),
]);

/**
 * Payload of `chat.complete`: an OpenAI-style request, answered in the background. With `stream`,
 * the answer is streamed from the model and reported as progress while it arrives.
 */
export const chatCompletePayload = z.strictObject({
  request: chatRequestSchema,
  stream: z.boolean().default(false),
});

/** Payload of `embeddings.batch`: many inputs, embedded in chunks with progress. */
export const embeddingsBatchPayload = z.strictObject({
  model: embeddingsRequestSchema.shape.model,
  inputs: z.array(boundedText(32_000)).min(1).max(MAX_EMBEDDING_INPUTS),
  dimensions: z.int().min(1).max(8192).optional(),
  chunkSize: z.int().min(1).max(2048).default(256),
});

/** Payload of `webhook.deliver`: one event about one job, to one endpoint. */
export const webhookDeliverPayload = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  event: z.string().min(1).max(100),
  /** The job the event is about (absent for system alerts). */
  jobId: z.uuid().optional(),
  /** The batch the event is about (its body is read fresh). */
  batchId: z.uuid().optional(),
  /** A system alert's body (absent for job events, whose body is read fresh). */
  body: z.record(z.string(), z.unknown()).optional(),
});

/** Payload of `batch.submit`: send a batch's tier to its provider. */
export const batchSubmitPayload = z.strictObject({ batchId: z.uuid(), tier: z.int().min(0).max(20) });

/**
 * Payload of `batch.poll`: check a submitted batch once. `seq` is the batch's poll sequence; only
 * the poll holding the current one schedules the next (-1 for an extra poll that schedules none).
 */
export const batchPollPayload = z.strictObject({ batchId: z.uuid(), seq: z.int().min(-1) });

/** The job kinds Sluice runs, by name. */
export const defaultJobKinds = {
  "tickets.classify": {
    kind: "tickets.classify",
    description: "classify one ticket",
    payload: classifyTicketPayload,
    priority: "high",
    retryLimit: 3,
    retryDelaySeconds: 2,
    retryBackoff: true,
    retryDelayMaxSeconds: 60,
    timeLimitSeconds: 300,
    softTimeLimitSeconds: 240,
    idempotent: true,
  },
  "tickets.classifyBatch": {
    kind: "tickets.classifyBatch",
    description: "classify many tickets (given ones, or all pending), with progress per ticket",
    payload: classifyBatchPayload,
    priority: "low",
    retryLimit: 2,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 300,
    timeLimitSeconds: 3600,
    softTimeLimitSeconds: 3300,
    idempotent: true,
  },
  "chat.complete": {
    kind: "chat.complete",
    description:
      "a chat completion (model or cascade) in the background; with stream: true, progress as it arrives",
    payload: chatCompletePayload,
    priority: "default",
    retryLimit: 3,
    retryDelaySeconds: 2,
    retryBackoff: true,
    retryDelayMaxSeconds: 120,
    timeLimitSeconds: 600,
    softTimeLimitSeconds: 540,
    idempotent: true,
  },
  "embeddings.batch": {
    kind: "embeddings.batch",
    description: "embed many inputs in chunks, with progress per chunk",
    payload: embeddingsBatchPayload,
    priority: "low",
    retryLimit: 3,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 300,
    timeLimitSeconds: 1800,
    softTimeLimitSeconds: 1700,
    idempotent: true,
  },
  "webhook.deliver": {
    kind: "webhook.deliver",
    description: "deliver one signed job event to a webhook endpoint",
    payload: webhookDeliverPayload,
    priority: "high",
    retryLimit: 6,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 900,
    timeLimitSeconds: 60,
    softTimeLimitSeconds: 30,
    idempotent: true,
    internal: true,
  },
  "batch.submit": {
    kind: "batch.submit",
    description: "upload a batch's requests to its provider's Batch API and create the provider batch",
    payload: batchSubmitPayload,
    priority: "default",
    retryLimit: 5,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    timeLimitSeconds: 1800,
    softTimeLimitSeconds: 1700,
    idempotent: true,
    internal: true,
  },
  "batch.poll": {
    kind: "batch.poll",
    description: "check a provider batch; when it has ended, store its results and finish the batch",
    payload: batchPollPayload,
    priority: "default",
    retryLimit: 10,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    timeLimitSeconds: 1800,
    softTimeLimitSeconds: 1700,
    idempotent: true,
    internal: true,
  },
} as const satisfies Record<string, JobKindSpec>;

/** A kind Sluice runs out of the box. */
export type DefaultJobKind = keyof typeof defaultJobKinds;

/** Settings an operator may change per kind (`SLUICE_JOBS`). */
export const jobKindOverrideSchema = z.strictObject({
  priority: z.enum(["high", "default", "low"]).optional(),
  retryLimit: z.int().min(0).max(50).optional(),
  retryDelaySeconds: z.int().min(1).max(86_400).optional(),
  retryBackoff: z.boolean().optional(),
  retryDelayMaxSeconds: z.int().min(1).max(86_400).optional(),
  timeLimitSeconds: z.int().min(1).max(86_400).optional(),
  softTimeLimitSeconds: z.number().min(0.1).max(86_400).optional(),
});

/** The kinds a process knows, with their queues. */
export interface JobCatalog {
  get(kind: string): JobKindSpec | undefined;
  list(): JobKindSpec[];
  /** pg-boss queue settings of every kind. */
  queues(): QueueDefinition[];
}

/** The dead-letter queue of a kind. */
export function deadLetterQueueOf(kind: string): string {
  return `${kind}.dead`;
}

/** Builds the catalog: the default kinds (or `kinds`), with per-kind overrides applied. */
export function createJobCatalog(
  overrides: Record<string, z.infer<typeof jobKindOverrideSchema>> = {},
  kinds: Record<string, JobKindSpec> = defaultJobKinds,
): JobCatalog {
  const all = new Map<string, JobKindSpec>();
  for (const [name, spec] of Object.entries(kinds)) {
    const merged = { ...spec, ...(overrides[name] ?? {}) } as JobKindSpec;
    if (merged.softTimeLimitSeconds > merged.timeLimitSeconds)
      merged.softTimeLimitSeconds = merged.timeLimitSeconds;
    all.set(name, merged);
  }
  for (const name of Object.keys(overrides)) {
    if (!all.has(name)) throw new RangeError(`SLUICE_JOBS names an unknown job kind "${name}"`);
  }
  return {
    get: (kind) => all.get(kind),
    list: () => [...all.values()],
    queues: () =>
      [...all.values()].map((k) => ({
        name: k.kind,
        deadLetter: deadLetterQueueOf(k.kind),
        retryLimit: k.retryLimit,
        retryDelaySeconds: k.retryDelaySeconds,
        retryBackoff: k.retryBackoff,
        retryDelayMaxSeconds: k.retryDelayMaxSeconds,
        expireInSeconds: k.timeLimitSeconds,
      })),
  };
}
