import { chatRequestSchema } from "@sluice/core";
import { z } from "zod";
import { plainMessage, textAssistantMessage, textContent } from "./messageShapes.ts";

/**
 * Bounded shapes for tool calling. Tool names and call ids come from short lists, so that a
 * `tool_choice` often names a declared tool and a tool result often answers an earlier call, while
 * duplicates and strays still happen; parameter schemas stay small (objects nest at most 2 deep, at
 * most 4 properties each) where random JSON Schemas grew huge and were mostly refused.
 */
export const toolName = z.enum(["get_weather", "search_docs", "create_ticket", "lookup_order"]);
const callId = z.enum(["call_1", "call_2", "call_3"]);

/** A scalar property, sometimes with an enum. */
const scalarProperty = z.strictObject({
  type: z.enum(["string", "integer", "number", "boolean"]),
  description: z.string().max(40).optional(),
  enum: z.array(z.string().max(12)).min(1).max(3).optional(),
});

/** The second and last level: an object of scalars, or an array of them. */
const nestedProperty = z.union([
  z.strictObject({
    type: z.literal("object"),
    properties: z.strictObject({ id: scalarProperty.optional(), note: scalarProperty.optional() }),
    required: z
      .array(z.enum(["id", "note"]))
      .max(2)
      .optional(),
  }),
  z.strictObject({
    type: z.literal("array"),
    items: scalarProperty,
    maxItems: z.int().min(1).max(5).optional(),
  }),
]);

const property = z.union([scalarProperty, nestedProperty]);
const propertyName = z.enum(["city", "days", "query", "options"]);

/** A tool's `parameters` (Anthropic's `input_schema`): an object schema of at most 4 properties. */
export const smallParameters = z.strictObject({
  type: z.literal("object"),
  properties: z.strictObject({
    city: property.optional(),
    days: property.optional(),
    query: property.optional(),
    options: property.optional(),
  }),
  required: z.array(propertyName).max(2).optional(),
  additionalProperties: z.boolean().optional(),
});

const smallTool = z.strictObject({
  type: z.literal("function"),
  function: z.strictObject({
    name: toolName,
    description: z.string().max(60).optional(),
    parameters: smallParameters.optional(),
    strict: z.boolean().optional(),
  }),
});

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: toolName }) }),
]);

/** Arguments as a model sends them: JSON text, now and then text that is not JSON. */
const callArguments = z.union([
  z.enum(["{}", '{"city":"Paris"}', '{"query":"refund","days":3}', '{"options":{"id":"a1"}}']),
  z.string().max(40),
]);

const toolCall = z.strictObject({
  id: callId,
  type: z.literal("function"),
  function: z.strictObject({ name: toolName, arguments: callArguments }),
});

/** An assistant turn that calls tools, the first call always `call_1`. */
const callingAssistant = z.strictObject({
  role: z.literal("assistant"),
  content: z.union([z.null(), textContent]).optional(),
  tool_calls: z.tuple([toolCall.extend({ id: z.literal("call_1") })], toolCall),
});

const toolResult = z.strictObject({ role: z.literal("tool"), content: textContent, tool_call_id: callId });

/** A conversation in which a model called a tool and got its result, then anything may follow. */
const toolConversation = z.tuple(
  [plainMessage, callingAssistant, toolResult.extend({ tool_call_id: z.literal("call_1") })],
  z.union([plainMessage, textAssistantMessage, callingAssistant, toolResult]),
);

// A few of the other fields (temperature 0 reaches the cache); the plain shape covers the rest, and
// each optional field more halves the share of generated requests that are valid.
const { temperature, max_completion_tokens, n, seed, stream } = chatRequestSchema.shape;

/**
 * Chat requests that declare up to 3 small tools, choose one, and carry tool calls and results in
 * history, for one of `models` (so that most reach a model rather than a 404). For generating only:
 * wrap it with `generatedAs` so that what counts as valid is still the real schema's call.
 */
export function toolChatRequestShape(models: readonly string[]): z.ZodType {
  return z.strictObject({
    temperature,
    max_completion_tokens,
    n,
    seed,
    stream,
    model: z.enum(models as [string, ...string[]]),
    messages: z.union([toolConversation, z.array(z.union([plainMessage, textAssistantMessage])).min(1)]),
    tools: z.array(smallTool).min(1).max(3).optional(),
    tool_choice: toolChoice.optional(),
    parallel_tool_calls: z.boolean().optional(),
  });
}
