import { z } from "zod";
import { chatMessageLimits } from "../schemas/chatMessage.ts";
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

// Chat requests carry text parts only until image parts land there; an image is refused by name.
const inputImagePart = z
  .strictObject({
    type: z.literal("input_image"),
    image_url: boundedText(chatMessageLimits.textChars).optional(),
    file_id: z.string().optional(),
    detail: z.enum(["auto", "low", "high"]).optional(),
  })
  .superRefine((part, ctx) => {
    if (part.file_id !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["file_id"],
        message: "is not supported (Sluice stores no files); send image_url",
      });
    } else if (part.image_url === undefined) {
      ctx.addIssue({ code: "custom", path: ["image_url"], message: "is required" });
    } else {
      ctx.addIssue({ code: "custom", path: ["type"], message: "image parts are not supported yet" });
    }
  });

/** One part of a message's content. */
export const responsesContentPartSchema = z.discriminatedUnion("type", [
  inputTextPart,
  outputTextPart,
  refusalPart,
  inputImagePart,
]);

/** The text of one content part (a refusal reads as its text, as on chat completions). */
export function partText(part: ResponsesContentPart): string {
  return part.type === "refusal" ? part.refusal : part.type === "input_image" ? "" : part.text;
}

const notBlank = (content: string | ResponsesContentPart[]) =>
  typeof content === "string" ? !blank(content) : !content.every((part) => blank(partText(part)));

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
const messageItem = z.strictObject({
  type: z.literal("message"),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: messageContent,
  id: itemId.optional(),
  status: itemStatus,
  phase: z.enum(["commentary", "final_answer"]).optional(),
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
