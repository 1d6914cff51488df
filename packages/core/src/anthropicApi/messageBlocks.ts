import { z } from "zod";
import { chatMessageLimits } from "../schemas/chatMessage.ts";
import { chatRequestLimits } from "../schemas/chatRequest.ts";
import { contentPartLimits, filePartSchema, imageUrlPartSchema } from "../schemas/contentParts.ts";
import { boundedText, identifierSchema, jsonObjectSchema } from "../schemas/textFields.ts";

/** Bounds on an Anthropic Messages request beyond the chat request's own. */
export const messagesRequestLimits = {
  /** Characters of a base64 image (the HTTP body limit bounds it first). */
  imageDataChars: 28_000_000,
  /** Characters of a base64 PDF (32 MB of bytes, as a chat `file` part takes). */
  documentDataChars: Math.ceil((contentPartLimits.fileBytes * 4) / 3) + 4,
  urlChars: 8_192,
  toolUseIdChars: chatMessageLimits.toolCallIdChars,
  /** Sluice's chat requests take at most 4 stop sequences (OpenAI's limit), so these do too. */
  stopSequences: chatRequestLimits.stopSequences,
  userIdChars: chatRequestLimits.userChars,
} as const;

/** Text of a block: not empty, not only whitespace (Anthropic refuses both). */
export const blockText = boundedText(chatMessageLimits.textChars).refine(
  (text) => text.trim().length > 0,
  "must not be only whitespace",
);

/** `cache_control`, accepted and ignored: prompt caching saves work, the answer is the same without it. */
export const cacheControl = z
  .strictObject({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .nullable()
  .optional();

/** `{ type: "text", text }`; SDKs echo answers back as history, so `citations: null` is accepted. */
export const textBlockSchema = z.strictObject({
  type: z.literal("text"),
  text: blockText,
  cache_control: cacheControl,
  citations: z.null({ error: "must be null (citations are not supported)" }).optional(),
});

const imageSourceSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("base64"),
      media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
      data: z.string().max(messagesRequestLimits.imageDataChars),
    }),
    z.strictObject({ type: z.literal("url"), url: z.string().max(messagesRequestLimits.urlChars) }),
  ])
  .superRefine((source, ctx) => {
    // The chat request's own image rules (https only, readable bytes of the declared type), named here.
    const url = source.type === "url" ? source.url : `data:${source.media_type};base64,${source.data}`;
    const checked = imageUrlPartSchema.safeParse({ type: "image_url", image_url: { url } });
    for (const issue of checked.success ? [] : checked.error.issues)
      ctx.addIssue({
        code: "custom",
        path: [source.type === "url" ? "url" : "data"],
        message: issue.message,
      });
  });

/** `{ type: "image", source }` with a base64 or URL source. */
export const imageBlockSchema = z.strictObject({
  type: z.literal("image"),
  source: imageSourceSchema,
  cache_control: cacheControl,
});

const documentSourceSchema = z.discriminatedUnion(
  "type",
  [
    z
      .strictObject({
        type: z.literal("base64"),
        media_type: z.literal("application/pdf", { error: 'must be "application/pdf"' }),
        data: z.string().max(messagesRequestLimits.documentDataChars),
      })
      .superRefine((source, ctx) => {
        // The chat request's own file rules (readable base64, at most 32 MB), named here.
        const checked = filePartSchema.safeParse({ type: "file", file: { file_data: source.data } });
        for (const issue of checked.success ? [] : checked.error.issues)
          ctx.addIssue({ code: "custom", path: ["data"], message: issue.message });
      }),
    z.strictObject({
      type: z.literal("text"),
      media_type: z.literal("text/plain", { error: 'must be "text/plain"' }),
      data: blockText,
    }),
  ],
  {
    error:
      'must be { type: "base64", media_type: "application/pdf", data } or { type: "text", media_type: "text/plain", data } (Sluice does not fetch URLs or read uploaded files here)',
  },
);

/** `{ type: "document", source }`: a base64 PDF or a plain-text document, with an optional title and context. */
export const documentBlockSchema = z.strictObject({
  type: z.literal("document"),
  source: documentSourceSchema,
  title: boundedText(contentPartLimits.filenameChars).nullable().optional(),
  context: boundedText(chatMessageLimits.textChars).nullable().optional(),
  citations: z
    .strictObject({
      enabled: z.literal(false, { error: "must be false (citations are not supported)" }),
    })
    .nullable()
    .optional(),
  cache_control: cacheControl,
});

/** A call the assistant made: `input` is the tool's arguments as a JSON object. */
export const toolUseBlockSchema = z.strictObject({
  type: z.literal("tool_use"),
  id: boundedText(messagesRequestLimits.toolUseIdChars),
  name: identifierSchema,
  input: jsonObjectSchema,
  cache_control: cacheControl,
  caller: z.strictObject({ type: z.literal("direct") }).optional(),
});

/** The answer to a `tool_use` block, in the next user message. */
export const toolResultBlockSchema = z.strictObject({
  type: z.literal("tool_result"),
  tool_use_id: boundedText(messagesRequestLimits.toolUseIdChars),
  content: z
    .union(
      [
        boundedText(chatMessageLimits.textChars, 0),
        z
          .array(z.discriminatedUnion("type", [textBlockSchema, imageBlockSchema]))
          .max(chatMessageLimits.contentParts, `must have at most ${chatMessageLimits.contentParts} blocks`),
      ],
      { error: "must be a string or an array of text and image blocks" },
    )
    .optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

/** A non-empty array of content blocks. */
export const blocks = <T extends z.ZodType>(block: T) =>
  z
    .array(block)
    .min(1, "must have at least 1 block")
    .max(chatMessageLimits.contentParts, `must have at most ${chatMessageLimits.contentParts} blocks`);

const userContent = z.union([
  blockText,
  blocks(
    z.discriminatedUnion("type", [
      textBlockSchema,
      imageBlockSchema,
      documentBlockSchema,
      toolResultBlockSchema,
    ]),
  ),
]);
const assistantContent = z.union([
  blockText,
  blocks(z.discriminatedUnion("type", [textBlockSchema, toolUseBlockSchema])),
]);

/** One turn: a user's (text, images, tool results) or the assistant's (text, tool calls). */
export const anthropicMessageParamSchema = z.discriminatedUnion("role", [
  z.strictObject({ role: z.literal("user"), content: userContent }),
  z.strictObject({ role: z.literal("assistant"), content: assistantContent }),
]);
