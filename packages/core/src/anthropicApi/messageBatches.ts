import { isFinalBatchStatus } from "@sluice/db";
import { z } from "zod";
import { customIdSchema } from "../batches/batchInput.ts";
import type { BatchScope, BatchService } from "../batches/batchService.ts";
import type { PublicBatch, PublicBatchResponse } from "../batches/publicBatch.ts";
import { isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { type AnthropicMessage, messageOfChatCompletion } from "./messageResponse.ts";
import { messagesRequestSchema } from "./messagesRequest.ts";
import { messagesToChatRequest } from "./messagesToChat.ts";

/** Inline requests of one message batch (Sluice's inline batch limit). */
export const MAX_MESSAGE_BATCH_REQUESTS = 10_000;

const createSchema = z.strictObject({
  requests: z
    .array(z.strictObject({ custom_id: customIdSchema, params: messagesRequestSchema }))
    .min(1, "must have at least 1 request")
    .max(MAX_MESSAGE_BATCH_REQUESTS, `must have at most ${MAX_MESSAGE_BATCH_REQUESTS} requests`)
    .superRefine((requests, ctx) => {
      const model = requests[0]?.params.model;
      for (const [index, request] of requests.entries()) {
        if (request.params.model !== model)
          ctx.addIssue({
            code: "custom",
            path: [index, "params", "model"],
            message: `must be "${model}" as in requests.0 (a batch runs one model or cascade)`,
          });
        if (request.params.stream === true)
          ctx.addIssue({
            code: "custom",
            path: [index, "params", "stream"],
            message: "batches cannot stream",
          });
      }
    }),
});

const listSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  after_id: z.string().max(100).optional(),
});

/** Anthropic's `message_batch` object. */
export interface MessageBatch {
  id: string;
  type: "message_batch";
  processing_status: "in_progress" | "canceling" | "ended";
  request_counts: {
    processing: number;
    succeeded: number;
    errored: number;
    canceled: number;
    expired: number;
  };
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  archived_at: null;
  cancel_initiated_at: string | null;
  /** Where the results are, relative to the API's root; null until the batch has ended. */
  results_url: string | null;
}

/** One line of a batch's results; an error carries Sluice's code, which the transport words. */
export interface MessageBatchResult {
  custom_id: string;
  result:
    | { type: "succeeded"; message: AnthropicMessage }
    | { type: "errored"; error: { code: string; message: string } }
    | { type: "canceled" }
    | { type: "expired" };
}

/** Anthropic's Message Batches over Sluice's batches (every batch of the tenant shows here). */
export interface MessageBatchService {
  create(scope: BatchScope, body: unknown): Promise<MessageBatch>;
  get(scope: BatchScope, id: string): Promise<MessageBatch>;
  list(
    scope: BatchScope,
    query: unknown,
  ): Promise<{ data: MessageBatch[]; has_more: boolean; first_id: string | null; last_id: string | null }>;
  cancel(scope: BatchScope, id: string): Promise<MessageBatch>;
  /** A finished batch's results in input order; a conflict before it has ended. */
  results(scope: BatchScope, id: string): Promise<AsyncGenerator<MessageBatchResult>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The Anthropic view of a batch. */
export function messageBatchObject(batch: PublicBatch): MessageBatch {
  const ended = isFinalBatchStatus(batch.status);
  const { total, succeeded, errored, cancelled, expired } = batch.counts;
  const cancelling = batch.status === "cancelling" || batch.status === "cancelled";
  return {
    id: batch.id,
    type: "message_batch",
    processing_status: ended ? "ended" : batch.status === "cancelling" ? "canceling" : "in_progress",
    request_counts: {
      processing: ended ? 0 : total - succeeded - errored - cancelled - expired,
      succeeded,
      errored,
      canceled: cancelled,
      expired,
    },
    ended_at: batch.finishedAt?.toISOString() ?? null,
    created_at: batch.createdAt.toISOString(),
    expires_at: new Date(batch.createdAt.getTime() + DAY_MS).toISOString(),
    archived_at: null,
    // Sluice keeps no cancel time; the batch's end stands in once known.
    cancel_initiated_at: cancelling ? (batch.finishedAt?.toISOString() ?? new Date().toISOString()) : null,
    results_url: ended ? `/v1/messages/batches/${batch.id}/results` : null,
  };
}

function resultOf(response: PublicBatchResponse, model: string): MessageBatchResult {
  const id = response.customId;
  if (response.status === "succeeded")
    return {
      custom_id: id,
      result: { type: "succeeded", message: messageOfChatCompletion(response.response, model) },
    };
  if (response.status === "expired") return { custom_id: id, result: { type: "expired" } };
  if (response.status === "cancelled") return { custom_id: id, result: { type: "canceled" } };
  const stored = (response.error ?? {}) as { code?: unknown; message?: unknown };
  return {
    custom_id: id,
    result: {
      type: "errored",
      error: {
        code: typeof stored.code === "string" ? stored.code : "model_error",
        message: typeof stored.message === "string" ? stored.message : `the request ${response.status}`,
      },
    },
  };
}

// Each request is translated as /v1/messages would; its issues are named under its own path.
function batchLine(request: z.infer<typeof createSchema>["requests"][number], index: number) {
  try {
    const { stream: _stream, ...body } = messagesToChatRequest(request.params);
    return { customId: request.custom_id, body };
  } catch (error) {
    if (!isSluiceError(error) || error.code !== "validation_error") throw error;
    const prefix = `requests.${index}.params.`;
    const issues = ((error.details?.issues ?? []) as { path: string; message: string }[]).map((i) => ({
      ...i,
      path: `${prefix}${i.path}`,
    }));
    const first = issues[0];
    throw new SluiceError("validation_error", `Invalid message batch: ${first?.path}: ${first?.message}.`, {
      details: { issues },
    });
  }
}

/** Builds the Message Batches service over the batch service. */
export function createMessageBatchService(deps: { batches: BatchService }): MessageBatchService {
  const { batches } = deps;
  return {
    async create(scope, body) {
      const input = parseOrThrow(createSchema, body, "message batch");
      const model = input.requests[0]!.params.model;
      const batch = await batches.create(scope, {
        name: `message batch of ${input.requests.length}`,
        model,
        requests: input.requests.map(batchLine),
        submit: true,
      });
      return messageBatchObject(batch);
    },
    get: async (scope, id) => messageBatchObject(await batches.get(scope, id)),
    async list(scope, query) {
      const q = parseOrThrow(listSchema, query ?? {}, "message batch query");
      // Paging after a batch that is not the tenant's is refused as after one that does not exist.
      if (q.after_id !== undefined) await batches.get(scope, q.after_id);
      // Sluice's batch cursors name the last batch of a page (`b:<id>`); Anthropic pages by that id.
      const cursor =
        q.after_id === undefined ? undefined : Buffer.from(`b:${q.after_id}`).toString("base64url");
      const page = await batches.list(scope, { limit: q.limit, ...(cursor ? { cursor } : {}) });
      const data = page.items.map(messageBatchObject);
      return {
        data,
        has_more: page.nextCursor !== null,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      };
    },
    cancel: async (scope, id) => messageBatchObject(await batches.cancel(scope, id)),
    async results(scope, id) {
      const batch = await batches.get(scope, id);
      if (!isFinalBatchStatus(batch.status))
        throw new SluiceError(
          "conflict",
          `batch ${id} is ${batch.status}; results are ready once it has ended`,
          {
            details: { batchId: id, status: batch.status },
          },
        );
      return (async function* () {
        let cursor: string | undefined;
        do {
          const page = await batches.listResponses(scope, id, { limit: 1000, ...(cursor ? { cursor } : {}) });
          for (const response of page.items) yield resultOf(response, batch.model);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      })();
    },
  };
}
