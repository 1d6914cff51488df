import { z } from "zod";
import { chatMessageLimits } from "../schemas/chatMessage.ts";
import { contentPartLimits, filePartSchema, imageUrlPartSchema } from "../schemas/contentParts.ts";
import { boundedText, identifierSchema } from "../schemas/textFields.ts";

/** Bounds on a Responses request's `input`. */
export const responsesInputLimits = {
  /** Items in one `input` array (the chat limit on messages). */
  items: 1000,
  /** Characters of an item id or a call id. */
  idChars: chatMessageLimits.toolCallIdChars,
} as const;

const text = boundedText(chatMessageLimits.textChars);
const blank = (value: string) => value.trim().length === 0;
const itemId = boundedText(responsesInputLimits.idChars);
const itemStatus = z.enum(["in_progress", "completed", "incomplete"]).optional();

const inputTextPart = z.strictObject({ type: z.literal("input_text"), text });

// Assistant turns that clients send back as received carry their annotations and logprobs.
const outputTextPart = z.strictObject({
  type: z.literal("output_text"),
  text,
  annotations: z.array(z.unknown()).optional(),
  logprobs: z.array(z.unknown()).optional(),
});

const refusalPart = z.strictObject({ type: z.literal("refusal"), refusal: text });

// Images and files are sent by value: ids would name files this API has no store of for prompts.
const inputImagePart = z
  .strictObject({
    type: z.literal("input_image"),
    image_url: imageUrlPartSchema.shape.image_url.shape.url.optional(),
    file_id: z.string().optional(),
    detail: z.enum(["auto", "low", "high"]).optional(),
  })
  .superRefine((part, ctx) => {
    if (part.file_id !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["file_id"],
        message: "is not supported for images; send image_url (an https:// or data: URL)",
      });
    } else if (part.image_url === undefined) {
      ctx.addIssue({ code: "custom", path: ["image_url"], message: "is required" });
    }
  });

const inputFilePart = z
  .strictObject({
    type: z.literal("input_file"),
    file_data: filePartSchema.shape.file.shape.file_data,
    filename: boundedText(contentPartLimits.filenameChars).optional(),
    file_id: z.string().optional(),
    file_url: z.string().optional(),
    detail: z.enum(["auto", "low", "high"]).optional(),
  })
  .superRefine((part, ctx) => {
    for (const field of ["file_id", "file_url"] as const) {
      if (part[field] !== undefined)
        ctx.addIssue({ code: "custom", path: [field], message: "is not supported; send file_data" });
    }
    if (part.file_data === undefined && part.file_id === undefined && part.file_url === undefined)
      ctx.addIssue({ code: "custom", path: ["file_data"], message: "is required" });
  });

/** Whether a part is an image or a file (allowed only in user messages, as on chat completions). */
export const isMediaPart = (part: ResponsesContentPart) =>
  part.type === "input_image" || part.type === "input_file";

/** One part of a message's content. */
export const responsesContentPartSchema = z.discriminatedUnion("type", [
  inputTextPart,
  outputTextPart,
  refusalPart,
  inputImagePart,
  inputFilePart,
]);

/** The text of one text-like part (a refusal reads as its text, as on chat completions). */
export function partText(part: ResponsesContentPart): string {
  if (part.type === "refusal") return part.refusal;
  return part.type === "input_text" || part.type === "output_text" ? part.text : "";
}

// An image or a file is content enough: only all-text content can be blank.
const notBlank = (content: string | ResponsesContentPart[]) =>
  typeof content === "string"
    ? !blank(content)
    : !content.every((part) => !isMediaPart(part) && blank(partText(part)));

const messageContent = z
  .union(
    [
      text,
      z
        .array(responsesContentPartSchema)
        .min(1, "must have at least 1 part")
        .max(chatMessageLimits.contentParts, `must have at most ${chatMessageLimits.contentParts} parts`),
    ],
    { error: "must be a non-empty string or an array of content parts" },
  )
  .refine(notBlank, {
    message: "must not be only whitespace",
    when: (payload) => payload.issues.length === 0,
  });

/** A message item; `type` may be left out, as the SDK's easy input messages do. */
const messageItem = z
  .strictObject({
    type: z.literal("message"),
    role: z.enum(["user", "assistant", "system", "developer"]),
    content: messageContent,
    id: itemId.optional(),
    status: itemStatus,
    phase: z.enum(["commentary", "final_answer"]).optional(),
  })
  .superRefine((message, ctx) => {
    if (message.role === "user" || typeof message.content === "string") return;
    for (const [index, part] of message.content.entries()) {
      if (isMediaPart(part))
        ctx.addIssue({
          code: "custom",
          path: ["content", index, "type"],
          message: `${part.type} parts are only allowed in user messages`,
        });
    }
  });

const functionCallItem = z.strictObject({
  type: z.literal("function_call"),
  call_id: itemId,
  name: identifierSchema,
  arguments: boundedText(chatMessageLimits.textChars, 0),
  id: itemId.optional(),
  status: itemStatus,
});

const functionCallOutputItem = z.strictObject({
  type: z.literal("function_call_output"),
  call_id: itemId,
  output: z
    .union([text, z.array(inputTextPart).min(1, "must have at least 1 part")], {
      error: "must be a non-empty string or an array of input_text parts",
    })
    .refine((output) => (typeof output === "string" ? !blank(output) : !output.every((p) => blank(p.text))), {
      message: "must not be only whitespace",
      when: (payload) => payload.issues.length === 0,
    }),
  id: itemId.optional(),
  status: itemStatus,
});

const withMessageType = (item: unknown) =>
  typeof item === "object" && item !== null && !Array.isArray(item) && !("type" in item)
    ? { ...item, type: "message" }
    : item;

/** One item of `input`: a message, a function call the model made, or a call's output. */
export const responsesInputItemSchema = z.preprocess(
  withMessageType,
  z.discriminatedUnion("type", [messageItem, functionCallItem, functionCallOutputItem]),
);

/** `input`: a user message as a string, or a list of items. */
export const responsesInputSchema = z.union(
  [
    text.refine((value) => !blank(value), "must not be only whitespace"),
    z
      .array(responsesInputItemSchema)
      .min(1, "must have at least 1 item")
      .max(responsesInputLimits.items, `must have at most ${responsesInputLimits.items} items`),
  ],
  { error: "must be a non-empty string or an array of input items" },
);

/** One content part of an input message. */
export type ResponsesContentPart = z.infer<typeof responsesContentPartSchema>;

/** One validated input item. */
export type ResponsesInputItem = z.infer<typeof responsesInputItemSchema>;

/** A validated `input`. */
export type ResponsesInput = z.infer<typeof responsesInputSchema>;
