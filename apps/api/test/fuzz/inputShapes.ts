import {
  chatRequestSchema,
  createBatchInputSchema,
  customIdSchema,
  embeddingsRequestSchema,
  enqueueInputSchema,
  ticketInputSchema,
} from "@sluice/core";
import { z } from "zod";
import type { TestApi } from "../testApi.ts";

/** One line of batch input (OpenAI's batch-file shape). */
const batchLine = z.strictObject({ custom_id: customIdSchema, body: chatRequestSchema });

/**
 * Narrower schemas than the procedures' own, to shape fuzzed inputs by: each job kind with its own
 * payload, requests and tickets that are whole. Keys are procedure paths or `METHOD /route`; a
 * REST route's JSONL line shape is under `METHOD /route line`.
 */
export function inputShapes(api: TestApi): Record<string, unknown> {
  const kinds = api.services.jobs.catalog.list().filter((k) => !k.internal);
  const enqueue = z.union(
    kinds.map((k) => enqueueInputSchema.extend({ kind: z.literal(k.kind), payload: k.payload })),
  );
  const cascades = api.services.runtime.cascades.list().map((c) => c.name);
  const createBatch = createBatchInputSchema.extend({ requests: z.array(batchLine).max(3).optional() });
  const requests = z.strictObject({ requests: z.array(batchLine).min(1).max(3) });
  return {
    "jobs.enqueue": enqueue,
    "POST /v1/jobs": enqueue,
    "cascade.run": z.strictObject({ name: z.enum(cascades), request: chatRequestSchema }),
    "tickets.create": z.strictObject({ tickets: z.array(ticketInputSchema).min(1).max(5) }),
    "batches.create": createBatch,
    "POST /v1/batches": createBatch,
    "batches.addRequests": requests.extend({ id: z.uuid() }),
    "POST /v1/chat/completions": chatRequestSchema,
    "POST /v1/embeddings": embeddingsRequestSchema,
    "POST /v1/batches/:id/requests": requests,
    "POST /v1/batches/:id/requests line": batchLine,
  };
}
