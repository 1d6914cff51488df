import {
  chatRequestLimits,
  chatRequestSchema,
  countTokensRequestSchema,
  createBatchInputSchema,
  customIdSchema,
  embeddingsRequestSchema,
  enqueueInputSchema,
  messagesRequestSchema,
  responsesRequestSchema,
  ticketInputSchema,
  withoutNullFields,
} from "@sluice/core";
import { z } from "zod";
import type { TestApi } from "../testApi.ts";
import { countTokensShape, messageBatchShape, messagesShape } from "./anthropicShapes.ts";
import { plainMessage, textAssistantMessage } from "./messageShapes.ts";
import { responsesShape } from "./responsesShapes.ts";
import { generatedAs } from "./schemaArbitrary.ts";
import { toolChatRequestShape } from "./toolShapes.ts";

const {
  tools: _tools,
  tool_choice: _toolChoice,
  parallel_tool_calls: _parallel,
  ...requestFields
} = chatRequestSchema.shape;

/** Chat requests without tools, with small text messages: every other field as the real schema has it. */
const plainChatRequestShape = z.strictObject({
  ...requestFields,
  messages: z
    .array(z.union([plainMessage, textAssistantMessage]))
    .min(1)
    .max(chatRequestLimits.messages),
});

/** Chat requests generated without tools (cascades refuse them), judged by the real schema. */
const fuzzChatRequestSchema = generatedAs(chatRequestSchema, plainChatRequestShape);

/** The chat models of the registry, which generated tool-calling requests name. */
function chatModels(api: TestApi): string[] {
  return api.services.runtime.registry
    .list()
    .filter((m) => m.kind !== "embedding")
    .map((m) => m.id);
}

/** A REST body as OpenAI-shaped routes judge it: top-level `null` fields count as absent. */
const withoutNulls = <T extends z.ZodType>(schema: T) => z.preprocess(withoutNullFields, schema);

/**
 * The REST routes whose refused bodies must be 400s naming every bad field, each shape judged by
 * the schema its route parses with.
 */
export const PATH_CHECKED_ROUTES = [
  "POST /v1/chat/completions",
  "POST /v1/messages",
  "POST /v1/messages/count_tokens",
  "POST /v1/responses",
] as const;

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
  const models = chatModels(api);
  // Chat requests with and without tools (toolShapes.ts keeps tools small).
  const shaped = z.union([plainChatRequestShape, toolChatRequestShape(models)]);
  const chatRequest = generatedAs(chatRequestSchema, shaped);
  /** One line of batch input (OpenAI's batch-file shape). */
  const batchLine = z.strictObject({ custom_id: customIdSchema, body: chatRequest });
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
    "chat.complete": chatRequest,
    "POST /v1/chat/completions": generatedAs(withoutNulls(chatRequestSchema), shaped),
    "POST /v1/messages": generatedAs(messagesRequestSchema, messagesShape(models)),
    "POST /v1/messages/count_tokens": generatedAs(countTokensRequestSchema, countTokensShape(models)),
    "POST /v1/messages/batches": messageBatchShape("sim-small"),
    "POST /v1/responses": generatedAs(withoutNulls(responsesRequestSchema), responsesShape(models)),
    "POST /v1/embeddings": embeddingsRequestSchema,
    "POST /v1/sluice/batches/:id/requests": requests,
    "POST /v1/sluice/batches/:id/requests line": batchLine,
  };
}
