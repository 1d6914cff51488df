import { z } from "zod";
import { TINY_GIF_BASE64, TINY_PNG_BASE64 } from "./messageShapes.ts";
import { smallParameters, toolName } from "./toolShapes.ts";

/**
 * Bounded shapes for Anthropic's Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`),
 * for generating only: what counts as valid is still the real schema's call. A tool_use is answered
 * by a tool_result in the next user turn, as Anthropic requires, often enough to reach a model.
 */

const toolUseId = z.enum(["toolu_1", "toolu_2"]);
const text = z.strictObject({ type: z.literal("text"), text: z.string().min(1) });
const image = z.strictObject({
  type: z.literal("image"),
  source: z.union([
    z.strictObject({
      type: z.literal("base64"),
      media_type: z.enum(["image/png", "image/gif"]),
      data: z.enum([TINY_PNG_BASE64, TINY_GIF_BASE64]),
    }),
    z.strictObject({ type: z.literal("url"), url: z.url() }),
  ]),
});
const toolUse = z.strictObject({
  type: z.literal("tool_use"),
  id: toolUseId,
  name: toolName,
  input: z.strictObject({ city: z.string().optional(), days: z.int().min(1).max(7).optional() }),
});
const toolResult = z.strictObject({
  type: z.literal("tool_result"),
  tool_use_id: toolUseId,
  content: z.union([z.string(), z.array(text).max(2)]).optional(),
  is_error: z.boolean().optional(),
});

const userTurn = z.strictObject({
  role: z.literal("user"),
  content: z.union([
    z.string().min(1),
    z
      .array(z.union([text, image]))
      .min(1)
      .max(3),
  ]),
});
const assistantTurn = z.strictObject({
  role: z.literal("assistant"),
  content: z.union([z.string().min(1), z.array(text).min(1).max(2)]),
});
const callingTurn = z.strictObject({
  role: z.literal("assistant"),
  content: z.tuple([toolUse.extend({ id: z.literal("toolu_1") })], z.union([text, toolUse])),
});
const answeringTurn = z.strictObject({
  role: z.literal("user"),
  content: z.tuple([toolResult.extend({ tool_use_id: z.literal("toolu_1") })], z.union([text, toolResult])),
});

/** A plain exchange, or one in which the model called a tool and got its result. */
const conversation = z.union([
  z.array(z.union([userTurn, assistantTurn])).min(1),
  z.tuple([userTurn, callingTurn, answeringTurn], z.union([userTurn, assistantTurn])),
]);

const tool = z.strictObject({
  name: toolName,
  description: z.string().max(60).optional(),
  input_schema: smallParameters,
});
const toolChoice = z.union([
  z.strictObject({ type: z.enum(["auto", "any"]), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal("tool"), name: toolName }),
  z.strictObject({ type: z.literal("none") }),
]);

/** What count_tokens takes: a conversation with a system prompt and tools now and then. */
export function countTokensShape(models: readonly string[]) {
  return z.strictObject({
    model: z.enum(models as [string, ...string[]]),
    messages: conversation,
    system: z.string().min(1).optional(),
    tools: z.array(tool).max(3).optional(),
    tool_choice: toolChoice.optional(),
  });
}

/** A Messages request: the conversation and a few output settings. */
export function messagesShape(models: readonly string[]) {
  return countTokensShape(models).extend({
    max_tokens: z.int().min(1).max(1024),
    temperature: z.number().min(0).max(1).optional(),
    stream: z.boolean().optional(),
    stop_sequences: z.array(z.string().min(1).max(8)).max(2).optional(),
  });
}

/** A Message Batches body: a few requests for one model (a batch runs one), none streaming. */
export function messageBatchShape(model: string) {
  return z.strictObject({
    requests: z
      .array(
        z.strictObject({
          custom_id: z.enum(["req-a", "req-b", "req-c"]),
          params: messagesShape([model]).omit({ stream: true }),
        }),
      )
      .min(1)
      .max(2),
  });
}
