import { z } from "zod";
import { boundedText, identifierSchema } from "./textFields.ts";

/** Bounds on one chat message. */
export const chatMessageLimits = {
  /**
   * Characters in one text (a string content or one text part). Set at the largest context window
   * in the registry (about 1M tokens, roughly 4M characters) so it never refuses a prompt that would
   * fit; the exact limit is the token-based context check, the HTTP body limit bounds the total.
   */
  textChars: 4_000_000,
  /** Text parts in one array content. */
  contentParts: 100,
  /** Characters of a tool call id. */
  toolCallIdChars: 256,
  /** Tool calls in one assistant message. */
  toolCalls: 128,
} as const;

/** One `{ type: "text", text }` part; images, audio and files are not supported. */
export const textPartSchema = z.strictObject({
  type: z.literal("text", { error: 'must be "text" (only text parts are supported)' }),
  text: boundedText(chatMessageLimits.textChars),
});

const blank = (text: string) => text.trim().length === 0;

/** Message content: a string or a non-empty array of text parts, with more than whitespace in it. */
export const messageContentSchema = z
  .union(
    [
      boundedText(chatMessageLimits.textChars),
      z
        .array(textPartSchema)
        .min(1, "must have at least 1 text part")
        .max(chatMessageLimits.contentParts, `must have at most ${chatMessageLimits.contentParts} parts`),
    ],
    { error: "must be a non-empty string or an array of text parts" },
  )
  .refine(
    (content) => (typeof content === "string" ? !blank(content) : !content.every((part) => blank(part.text))),
    // Only content that is otherwise valid is judged blank: one issue per problem.
    { message: "must not be only whitespace", when: (payload) => payload.issues.length === 0 },
  );

/** A system, developer or user message. */
export const plainMessageSchema = z.strictObject({
  role: z.enum(["system", "developer", "user"]),
  content: messageContentSchema,
  name: identifierSchema.optional(),
});

/** One function call an assistant message asks for; `arguments` is JSON text, as OpenAI sends it. */
export const toolCallSchema = z.strictObject({
  id: boundedText(chatMessageLimits.toolCallIdChars),
  type: z.literal("function", { error: 'must be "function"' }),
  function: z.strictObject({
    name: identifierSchema,
    arguments: boundedText(chatMessageLimits.textChars, 0),
  }),
});

// An assistant turn that only calls tools has no text, so its content may then be null or absent.
/** An assistant message: text, tool calls, or a refusal. */
export const assistantMessageSchema = z
  .strictObject({
    role: z.literal("assistant"),
    content: messageContentSchema.nullable().optional(),
    name: identifierSchema.optional(),
    // SDKs append the model's message to the history as received, `refusal: null` included.
    refusal: boundedText(chatMessageLimits.textChars).nullable().optional(),
    tool_calls: z
      .array(toolCallSchema)
      .min(1, "must have at least 1 tool call")
      .max(chatMessageLimits.toolCalls, `must have at most ${chatMessageLimits.toolCalls} tool calls`)
      .optional(),
  })
  .superRefine((message, ctx) => {
    const noContent = message.content === undefined || message.content === null;
    if (noContent && message.tool_calls === undefined && typeof message.refusal !== "string") {
      ctx.addIssue({
        code: "custom",
        path: ["content"],
        message: "is required unless tool_calls or refusal is given",
      });
    }
  });

const toolResultMessage = z.strictObject({
  role: z.literal("tool"),
  content: messageContentSchema,
  tool_call_id: boundedText(chatMessageLimits.toolCallIdChars),
});

/** One message of a chat conversation, discriminated by `role`. */
export const chatMessageSchema = z.discriminatedUnion("role", [
  plainMessageSchema,
  assistantMessageSchema,
  toolResultMessage,
]);

/** One message of a chat conversation. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Role of a chat message. */
export type ChatRole = ChatMessage["role"];

/** One tool call of an assistant message. */
export type ToolCall = z.infer<typeof toolCallSchema>;

/** A message's content as sent: a string or text parts. */
export type MessageContent = z.infer<typeof messageContentSchema>;

/** The plain text of a message: text parts joined without a separator, absent or null content as "". */
export function messageText(message: { content?: MessageContent | null | undefined }): string {
  const content = message.content;
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  let joined = "";
  for (const part of content) joined += part.text;
  return joined;
}
