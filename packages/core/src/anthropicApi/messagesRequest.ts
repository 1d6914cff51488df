import { z } from "zod";
import { chatRequestLimits } from "../schemas/chatRequest.ts";
import { whenFieldsValid } from "../schemas/crossFieldCheck.ts";
import { boundedText, identifierSchema, jsonObjectSchema, modelNameSchema } from "../schemas/textFields.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import {
  anthropicMessageParamSchema,
  blocks,
  blockText,
  cacheControl,
  messagesRequestLimits,
  textBlockSchema,
} from "./messageBlocks.ts";

const between = (min: number, max: number) =>
  z.number().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);

/** A client tool: `{ name, description?, input_schema }` (server tools are not offered). */
export const anthropicToolSchema = z.strictObject({
  type: z.literal("custom", { error: 'must be "custom" (server tools are not supported)' }).optional(),
  name: identifierSchema,
  description: boundedText(chatRequestLimits.toolDescriptionChars, 0).optional(),
  input_schema: jsonObjectSchema
    .refine((schema) => schema.type === "object", 'must have type "object"')
    .refine(
      (schema) => JSON.stringify(schema).length <= chatRequestLimits.toolParametersChars,
      `must be at most ${chatRequestLimits.toolParametersChars} characters as JSON`,
    ),
  strict: z.boolean().optional(),
  cache_control: cacheControl,
});

const parallelFlag = { disable_parallel_tool_use: z.boolean().optional() };

/** Whether the model may (auto), must (any), must call one (tool) or must not (none) use tools. */
export const anthropicToolChoiceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("auto"), ...parallelFlag }),
  z.strictObject({ type: z.literal("any"), ...parallelFlag }),
  z.strictObject({ type: z.literal("tool"), name: identifierSchema, ...parallelFlag }),
  z.strictObject({ type: z.literal("none") }),
]);

// Extended thinking would change what comes back (thinking blocks, a token budget inside max_tokens);
// silently answering without it would mislead, so only "disabled" is accepted.
const thinkingSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("disabled") }),
    z.strictObject({
      type: z.literal("enabled"),
      budget_tokens: z.int().min(1),
      display: z.enum(["summarized", "omitted"]).nullable().optional(),
    }),
    z.strictObject({
      type: z.literal("adaptive"),
      display: z.enum(["summarized", "omitted"]).nullable().optional(),
    }),
  ])
  .superRefine((thinking, ctx) => {
    if (thinking.type !== "disabled")
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: 'extended thinking is not supported; send "disabled" or leave thinking out',
      });
  });

const outputConfigSchema = z.strictObject({
  // Accepted and ignored: how hard a model thinks is the provider's tuning, not the answer's shape.
  effort: z.enum(["low", "medium", "high", "xhigh", "max"]).nullable().optional(),
  format: z
    .strictObject({ type: z.literal("json_schema"), schema: jsonObjectSchema })
    .nullable()
    .optional(),
});

/** Fields shared by `POST /v1/messages` and `POST /v1/messages/count_tokens`. */
const conversationFields = {
  model: modelNameSchema,
  messages: z
    .array(anthropicMessageParamSchema)
    .min(1, "must have at least 1 message")
    .max(chatRequestLimits.messages, `must have at most ${chatRequestLimits.messages} messages`),
  system: z.union([blockText, blocks(textBlockSchema)]).optional(),
  tools: z
    .array(anthropicToolSchema)
    .max(chatRequestLimits.tools, `must have at most ${chatRequestLimits.tools} tools`)
    .optional(),
  tool_choice: anthropicToolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
  output_config: outputConfigSchema.optional(),
  cache_control: cacheControl,
};

type Conversation = { messages: z.infer<typeof anthropicMessageParamSchema>[] };
type Blocks = Exclude<z.infer<typeof anthropicMessageParamSchema>["content"], string>;
const blocksOf = (content: string | Blocks): Blocks => (typeof content === "string" ? [] : content);

// Anthropic's own rule: every tool_use is answered by a tool_result in the very next user message,
// and a tool_result answers a tool_use of the message just before it. OpenAI-wire models need the same.
function checkToolTurns({ messages }: Conversation, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  for (const [index, message] of messages.entries()) {
    const content = blocksOf(message.content);
    if (message.role === "assistant") {
      const answered = new Set(
        blocksOf(messages[index + 1]?.content ?? "").flatMap((b) =>
          b.type === "tool_result" ? [b.tool_use_id] : [],
        ),
      );
      for (const [at, block] of content.entries()) {
        if (block.type !== "tool_use") continue;
        const path = ["messages", index, "content", at, "id"];
        if (seen.has(block.id))
          ctx.addIssue({ code: "custom", path, message: "is used by an earlier tool_use block" });
        else if (!answered.has(block.id))
          ctx.addIssue({
            code: "custom",
            path,
            message: "has no tool_result block in the next user message",
          });
        seen.add(block.id);
      }
      continue;
    }
    const previous = messages[index - 1];
    const calls = new Set(
      previous?.role === "assistant"
        ? blocksOf(previous.content).flatMap((b) => (b.type === "tool_use" ? [b.id] : []))
        : [],
    );
    for (const [at, block] of content.entries()) {
      if (block.type === "tool_result" && !calls.has(block.tool_use_id))
        ctx.addIssue({
          code: "custom",
          path: ["messages", index, "content", at, "tool_use_id"],
          message: "must match the id of a tool_use block in the previous assistant message",
        });
    }
  }
}

type ToolFields = {
  tools?: z.infer<typeof anthropicToolSchema>[] | undefined;
  tool_choice?: z.infer<typeof anthropicToolChoiceSchema> | undefined;
};

function checkToolChoice(request: ToolFields, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  for (const [index, tool] of (request.tools ?? []).entries()) {
    if (names.has(tool.name))
      ctx.addIssue({ code: "custom", path: ["tools", index, "name"], message: "is declared twice" });
    names.add(tool.name);
  }
  const choice = request.tool_choice;
  if (choice === undefined || choice.type === "none") return;
  if (names.size === 0) ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "requires tools" });
  else if (choice.type === "tool" && !names.has(choice.name))
    ctx.addIssue({
      code: "custom",
      path: ["tool_choice", "name"],
      message: `must name a declared tool (not "${choice.name}")`,
    });
}

/** Anthropic `POST /v1/messages` body; unknown fields are refused. */
export const messagesRequestSchema = z
  .strictObject({
    ...conversationFields,
    max_tokens: z
      .int()
      .min(1, `must be between 1 and ${chatRequestLimits.maxTokens}`)
      .max(chatRequestLimits.maxTokens, `must be between 1 and ${chatRequestLimits.maxTokens}`),
    stop_sequences: z
      .array(boundedText(chatRequestLimits.stopSequenceChars))
      .max(
        messagesRequestLimits.stopSequences,
        `must have at most ${messagesRequestLimits.stopSequences} items`,
      )
      .optional(),
    stream: z.boolean().optional(),
    temperature: between(0, 1).optional(),
    top_p: between(0, 1).optional(),
    // Accepted and ignored for every model: Sluice's chat requests have no top_k (docs/api.md).
    top_k: z.int().min(0).optional(),
    metadata: z
      .strictObject({ user_id: boundedText(messagesRequestLimits.userIdChars).nullable().optional() })
      .optional(),
    // Accepted and ignored: Sluice routes by its own limits, not Anthropic's capacity tiers.
    service_tier: z.enum(["auto", "standard_only"]).optional(),
  })
  .superRefine(checkToolTurns, whenFieldsValid("messages"))
  .superRefine(checkToolChoice, whenFieldsValid("tools", "tool_choice"));

/** Anthropic `POST /v1/messages/count_tokens` body: the conversation without output settings. */
export const countTokensRequestSchema = z
  .strictObject(conversationFields)
  .superRefine(checkToolTurns, whenFieldsValid("messages"))
  .superRefine(checkToolChoice, whenFieldsValid("tools", "tool_choice"));

/** A validated Messages request. */
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** A validated count_tokens request. */
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;

/** One turn of a Messages request. */
export type AnthropicMessageParam = z.infer<typeof anthropicMessageParamSchema>;

/** Validates a Messages body; throws a `validation_error` naming every failing path. */
export function parseMessagesRequest(input: unknown): MessagesRequest {
  return parseOrThrow(messagesRequestSchema, input, "messages request");
}

/** Validates a count_tokens body; throws a `validation_error` naming every failing path. */
export function parseCountTokensRequest(input: unknown): CountTokensRequest {
  return parseOrThrow(countTokensRequestSchema, input, "count_tokens request");
}
