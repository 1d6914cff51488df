import { z } from "zod";
import { chatMessageSchema } from "./chatMessage.ts";
import { whenFieldsValid } from "./crossFieldCheck.ts";
import { boundedText, identifierSchema, jsonObjectSchema, modelNameSchema } from "./textFields.ts";
import { parseOrThrow, withoutNullFields } from "./validationError.ts";

/** Bounds on a chat completion request. */
export const chatRequestLimits = {
  messages: 1000,
  stopSequences: 4,
  stopSequenceChars: 1_024,
  /** Upper bound on `max_tokens`/`max_completion_tokens`; each model's own output cap applies on top. */
  maxTokens: 131_072,
  n: 8,
  topLogprobs: 20,
  userChars: 256,
  metadataKeys: 16,
  metadataKeyChars: 64,
  metadataValueChars: 512,
  schemaDescriptionChars: 4_096,
} as const;

/** Upper bound on generated tokens Sluice accepts in one request. */
export const MAX_OUTPUT_TOKENS_LIMIT = chatRequestLimits.maxTokens;

const between = (min: number, max: number) =>
  z.number().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);
const intBetween = (min: number, max: number) =>
  z.int().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);

/** Output format: free text, any JSON object, or JSON matching a schema. */
export const responseFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: identifierSchema,
      description: boundedText(chatRequestLimits.schemaDescriptionChars).optional(),
      schema: jsonObjectSchema,
      strict: z.boolean().optional(),
    }),
  }),
]);

const stopSequence = boundedText(chatRequestLimits.stopSequenceChars);

/** OpenAI-compatible `POST /v1/chat/completions` body; unknown fields are rejected. */
export const chatRequestSchema = z
  .strictObject({
    model: modelNameSchema,
    messages: z
      .array(chatMessageSchema)
      .min(1, "must have at least 1 message")
      .max(chatRequestLimits.messages, `must have at most ${chatRequestLimits.messages} messages`),
    temperature: between(0, 2).optional(),
    top_p: between(0, 1).optional(),
    presence_penalty: between(-2, 2).optional(),
    frequency_penalty: between(-2, 2).optional(),
    stop: z
      .union(
        [
          stopSequence,
          z
            .array(stopSequence)
            .max(
              chatRequestLimits.stopSequences,
              `must have at most ${chatRequestLimits.stopSequences} stop sequences`,
            ),
        ],
        { error: "must be a string or an array of strings" },
      )
      .optional(),
    max_tokens: intBetween(1, chatRequestLimits.maxTokens).optional(),
    max_completion_tokens: intBetween(1, chatRequestLimits.maxTokens).optional(),
    n: intBetween(1, chatRequestLimits.n).optional(),
    stream: z.boolean().optional(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).optional(),
    response_format: responseFormatSchema.optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: intBetween(0, chatRequestLimits.topLogprobs).optional(),
    seed: z.int().optional(),
    user: boundedText(chatRequestLimits.userChars).optional(),
    metadata: z
      .record(
        boundedText(chatRequestLimits.metadataKeyChars),
        boundedText(chatRequestLimits.metadataValueChars, 0),
      )
      .refine(
        (metadata) => Object.keys(metadata).length <= chatRequestLimits.metadataKeys,
        `must have at most ${chatRequestLimits.metadataKeys} keys`,
      )
      .optional(),
  })
  .superRefine(
    (request, ctx) => {
      if (request.max_tokens !== undefined && request.max_completion_tokens !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["max_tokens"],
          message: "must not be sent together with max_completion_tokens (which replaces it)",
        });
      }
    },
    whenFieldsValid("max_tokens", "max_completion_tokens"),
  )
  .superRefine(
    (request, ctx) => {
      if (request.top_logprobs !== undefined && request.logprobs !== true) {
        ctx.addIssue({ code: "custom", path: ["top_logprobs"], message: "requires logprobs: true" });
      }
    },
    whenFieldsValid("top_logprobs", "logprobs"),
  )
  .superRefine(
    (request, ctx) => {
      if (request.stream_options !== undefined && request.stream !== true) {
        ctx.addIssue({ code: "custom", path: ["stream_options"], message: "requires stream: true" });
      }
    },
    whenFieldsValid("stream_options", "stream"),
  );

/** A validated chat completion request. */
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** A chat completion request before validation (what a typed client sends). */
export type ChatRequestInput = z.input<typeof chatRequestSchema>;

/** Requested output format of a chat completion. */
export type ChatResponseFormat = z.infer<typeof responseFormatSchema>;

/**
 * Validates a chat completion body; throws a `validation_error` SluiceError listing every issue.
 * Top-level `null` fields count as absent, as OpenAI treats them.
 */
export function parseChatRequest(input: unknown): ChatRequest {
  return parseOrThrow(chatRequestSchema, withoutNullFields(input), "chat completion request");
}

/** The completion-token cap a request asks for: `max_completion_tokens`, else `max_tokens`. */
export function maxTokensOf(
  request: Pick<ChatRequest, "max_tokens" | "max_completion_tokens">,
): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens;
}

// Code holding a request usually needs the message helpers too; one import serves both.
export { type ChatMessage, messageText } from "./chatMessage.ts";
