import {
  chatRequestLimits,
  chatRequestSchema,
  createBatchInputSchema,
  customIdSchema,
  embeddingsRequestSchema,
  enqueueInputSchema,
  plainMessageSchema,
  ticketInputSchema,
} from "@sluice/core";
import { z } from "zod";
import type { TestApi } from "../testApi.ts";

const {
  tools: _tools,
  tool_choice: _toolChoice,
  parallel_tool_calls: _parallel,
  ...requestFields
} = chatRequestSchema.shape;

/** An assistant turn with text only: generated tool calls and tool definitions are left to their own tests. */
const textAssistantMessage = plainMessageSchema.extend({ role: z.literal("assistant") });

/**
 * Chat requests shaped so that generated ones are mostly valid and small: a `tool` message must
 * answer an earlier call, `tool_choice` and `parallel_tool_calls` need `tools`, and random tool
 * definitions (JSON Schemas up to 64 KiB, 128 of them) make huge values that are mostly refused, so
 * none of these is generated (tool calling has its own tests). Parsing still runs the real schema.
 */
export const fuzzChatRequestSchema = z
  .strictObject({
    ...requestFields,
    messages: z
      .array(z.discriminatedUnion("role", [plainMessageSchema, textAssistantMessage]))
      .min(1)
      .max(chatRequestLimits.messages),
  })
  .refine((request) => chatRequestSchema.safeParse(request).success, "must be a valid chat request");

/** One line of batch input (OpenAI's batch-file shape). */
const batchLine = z.strictObject({ custom_id: customIdSchema, body: fuzzChatRequestSchema });

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
    "cascade.run": z.strictObject({ name: z.enum(cascades), request: fuzzChatRequestSchema }),
    "tickets.create": z.strictObject({ tickets: z.array(ticketInputSchema).min(1).max(5) }),
    "batches.create": createBatch,
    "POST /v1/sluice/batches": createBatch,
    "batches.addRequests": requests.extend({ id: z.uuid() }),
    "POST /v1/chat/completions": fuzzChatRequestSchema,
    "POST /v1/embeddings": embeddingsRequestSchema,
    "POST /v1/sluice/batches/:id/requests": requests,
    "POST /v1/sluice/batches/:id/requests line": batchLine,
  };
}
