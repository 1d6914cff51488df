import { z } from "zod";
import { parseOrThrow } from "./validationError.ts";

/** Model names: provider ids, `cascade:<name>`, and `org/model` forms. */
export const modelNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, "must be 1–128 characters: letters, digits, . _ : / -");

const noNullBytes = (value: string) => !value.includes("\u0000");
const text = z.string().refine(noNullBytes, "must not contain null bytes");

const textPart = z.strictObject({ type: z.literal("text"), text: text.min(1, "must not be empty") });

/** A chat message: content is non-empty text or text parts. */
export const chatMessageSchema = z.strictObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([text.refine((s) => s.trim().length > 0, "must not be empty"), z.array(textPart).min(1)]),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  tool_call_id: z.string().max(128).optional(),
});

const responseFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, _ or -"),
      description: z.string().max(1024).optional(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().optional(),
    }),
  }),
]);

/** Upper bound on generated tokens Sluice accepts in one request. */
export const MAX_OUTPUT_TOKENS_LIMIT = 131_072;

/** The OpenAI-compatible chat request Sluice accepts, strict: unknown fields are rejected. */
export const chatRequestSchema = z
  .strictObject({
    model: modelNameSchema,
    messages: z
      .array(chatMessageSchema)
      .min(1, "must contain at least 1 message")
      .max(1000, "must contain at most 1000 messages"),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    stop: z
      .union([text.min(1), z.array(text.min(1)).min(1).max(4, "must have at most 4 stop sequences")])
      .optional(),
    max_tokens: z.int().min(1).max(MAX_OUTPUT_TOKENS_LIMIT).optional(),
    max_completion_tokens: z.int().min(1).max(MAX_OUTPUT_TOKENS_LIMIT).optional(),
    n: z.int().min(1).max(8).optional(),
    stream: z.boolean().optional(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).optional(),
    response_format: responseFormatSchema.optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: z.int().min(0).max(20).optional(),
    seed: z.int().optional(),
    user: z.string().max(256).optional(),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, "must have at most 16 keys")
      .optional(),
  })
  .check((ctx) => {
    const value = ctx.value;
    if (value.max_tokens !== undefined && value.max_completion_tokens !== undefined) {
      ctx.issues.push({
        code: "custom",
        input: value,
        path: ["max_completion_tokens"],
        message: "set max_tokens or max_completion_tokens, not both",
      });
    }
    if (value.top_logprobs !== undefined && value.logprobs !== true) {
      ctx.issues.push({
        code: "custom",
        input: value,
        path: ["top_logprobs"],
        message: "requires logprobs: true",
      });
    }
    if (value.stream_options !== undefined && value.stream !== true) {
      ctx.issues.push({
        code: "custom",
        input: value,
        path: ["stream_options"],
        message: "requires stream: true",
      });
    }
  });

/** A validated chat request. */
export type ChatRequest = z.infer<typeof chatRequestSchema>;
/** One validated chat message. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Validates a chat request, or throws a `validation_error` listing every failing path. */
export function parseChatRequest(input: unknown): ChatRequest {
  return parseOrThrow(chatRequestSchema, input, "chat request");
}

/** The flattened text of a message's content. */
export function messageText(message: ChatMessage): string {
  return typeof message.content === "string" ? message.content : message.content.map((p) => p.text).join("");
}

/** The generation limit a request asks for, if any. */
export function maxTokensOf(
  request: Pick<ChatRequest, "max_tokens" | "max_completion_tokens">,
): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens;
}
