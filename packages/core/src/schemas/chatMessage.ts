import { z } from "zod";
import {
  type ContentPart,
  contentPartLimits,
  contentPartSchema,
  isTextPart,
  textPartSchema,
} from "./contentParts.ts";
import { boundedText, identifierSchema } from "./textFields.ts";

/** Bounds on one chat message. */
export const chatMessageLimits = {
  /** Characters in one text (a string content or one text part). */
  textChars: contentPartLimits.textChars,
  /** Parts in one array content. */
  contentParts: 100,
  /** Characters of a tool call id. */
  toolCallIdChars: 256,
  /** Tool calls in one assistant message. */
  toolCalls: 128,
} as const;

export { textPartSchema };

const blank = (text: string) => text.trim().length === 0;

function contentSchema<P extends typeof textPartSchema | typeof contentPartSchema>(part: P, what: string) {
  return z
    .union(
      [
        boundedText(chatMessageLimits.textChars),
        z
          .array(part)
          .min(1, "must have at least 1 part")
          .max(chatMessageLimits.contentParts, `must have at most ${chatMessageLimits.contentParts} parts`),
      ],
      { error: `must be a non-empty string or an array of ${what}` },
    )
    .refine(
      // An image, audio or file part is content enough: only all-text content can be blank.
      (content) =>
        typeof content === "string"
          ? !blank(content)
          : !content.every((p: ContentPart) => isTextPart(p) && blank(p.text)),
      // Only content that is otherwise valid is judged blank: one issue per problem.
      { message: "must not be only whitespace", when: (payload) => payload.issues.length === 0 },
    );
}

/** Content of text only: a string or a non-empty array of text parts, with more than whitespace in it. */
export const textContentSchema = contentSchema(textPartSchema, "text parts");

/** Message content: a string or a non-empty array of text, image, audio and file parts. */
export const messageContentSchema = contentSchema(contentPartSchema, "content parts");

// OpenAI takes images, audio and files only from the user; elsewhere they are refused by path.
function refuseMediaOutsideUser(
  message: { role: string; content?: MessageContent | null | undefined },
  ctx: z.RefinementCtx,
): void {
  if (message.role === "user" || !Array.isArray(message.content)) return;
  for (const [index, part] of message.content.entries()) {
    if (isTextPart(part)) continue;
    ctx.addIssue({
      code: "custom",
      path: ["content", index, "type"],
      message: `${part.type} parts are only allowed in user messages`,
    });
  }
}

/** A system, developer or user message. */
export const plainMessageSchema = z
  .strictObject({
    role: z.enum(["system", "developer", "user"]),
    content: messageContentSchema,
    name: identifierSchema.optional(),
  })
  .superRefine(refuseMediaOutsideUser);

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
    refuseMediaOutsideUser(message, ctx);
    const noContent = message.content === undefined || message.content === null;
    if (noContent && message.tool_calls === undefined && typeof message.refusal !== "string") {
      ctx.addIssue({
        code: "custom",
        path: ["content"],
        message: "is required unless tool_calls or refusal is given",
      });
    }
  });

const toolResultMessage = z
  .strictObject({
    role: z.literal("tool"),
    content: messageContentSchema,
    tool_call_id: boundedText(chatMessageLimits.toolCallIdChars),
  })
  .superRefine(refuseMediaOutsideUser);

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

/** A message's content as sent: a string or parts. */
export type MessageContent = z.infer<typeof messageContentSchema>;

/** The plain text of a message: text parts joined without a separator (other parts skipped), absent or null content as "". */
export function messageText(message: { content?: MessageContent | null | undefined }): string {
  const content = message.content;
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  let joined = "";
  for (const part of content) if (isTextPart(part)) joined += part.text;
  return joined;
}
