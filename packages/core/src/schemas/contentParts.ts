import { z } from "zod";
import { imageSizeOfBase64 } from "../tokens/imageSize.ts";
import { boundedText } from "./textFields.ts";

const MB = 1024 * 1024;

/** Bounds on content parts (OpenAI's own for media: 20 MB per image, 32 MB per file). */
export const contentPartLimits = {
  /**
   * Characters in one text part (and one string content). Set at the largest context window in the
   * registry (about 1M tokens, roughly 4M characters) so it never refuses a prompt that would fit;
   * the exact limit is the token-based context check, the HTTP body limit bounds the total.
   */
  textChars: 4_000_000,
  imageBytes: 20 * MB,
  audioBytes: 20 * MB,
  fileBytes: 32 * MB,
  /** Characters of an https image URL. */
  imageUrlChars: 8_192,
  fileIdChars: 256,
  filenameChars: 255,
} as const;

const IMAGE_DATA_URL = /^data:image\/(png|jpeg|gif|webp);base64,/;
const ANY_DATA_URL = /^data:[\w.+-]+\/[\w.+-]+;base64,/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes that base64 text decodes to (padding excluded). */
export function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}

const isBase64 = (data: string) => data.length % 4 === 0 && BASE64.test(data);

/** An image data URL split into its media type and base64 bytes; undefined for anything else. */
export function parseImageDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = IMAGE_DATA_URL.exec(url);
  if (!match) return undefined;
  return { mediaType: `image/${match[1]}`, data: url.slice(match[0].length) };
}

type Issue = (message: string) => void;

function checkBase64(data: string, maxBytes: number, what: string, issue: Issue): boolean {
  if (base64Bytes(data) > maxBytes) {
    issue(`${what} is larger than ${maxBytes / MB} MB`);
    return false;
  }
  if (data.length === 0 || !isBase64(data)) {
    issue("must be valid base64 (A-Z, a-z, 0-9, '+', '/', padded with '=')");
    return false;
  }
  return true;
}

function checkImageUrl(url: string, issue: Issue): void {
  if (url.startsWith("https://")) {
    if (url.length > contentPartLimits.imageUrlChars)
      issue(`must be at most ${contentPartLimits.imageUrlChars} characters`);
    else if (!URL.canParse(url) || !url.isWellFormed()) issue("must be a valid https:// URL");
    return;
  }
  const image = parseImageDataUrl(url);
  if (!image) {
    issue(
      "must be an https:// URL or a data:image/(png|jpeg|gif|webp);base64,... URL (http:// and other schemes are refused)",
    );
    return;
  }
  if (!checkBase64(image.data, contentPartLimits.imageBytes, "image", issue)) return;
  const size = imageSizeOfBase64(image.data);
  if (!size) issue(`is not a readable ${image.mediaType.slice(6).toUpperCase()} image`);
  else if (`image/${size.format}` !== image.mediaType)
    issue(`holds a ${size.format.toUpperCase()} image, not the declared ${image.mediaType}`);
}

/** One `{ type: "text", text }` part. */
export const textPartSchema = z.strictObject({
  type: z.literal("text"),
  text: boundedText(contentPartLimits.textChars),
});

/** An image by https URL or data URL, with OpenAI's `detail`. */
export const imageUrlPartSchema = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({
    url: z.string().check((ctx) => {
      checkImageUrl(ctx.value, (message) => ctx.issues.push({ code: "custom", message, input: ctx.value }));
    }),
    detail: z.enum(["auto", "low", "high"]).optional(),
  }),
});

/** Base64 audio in WAV or MP3. */
export const inputAudioPartSchema = z.strictObject({
  type: z.literal("input_audio"),
  input_audio: z.strictObject({
    data: z.string().check((ctx) => {
      const issue: Issue = (message) => ctx.issues.push({ code: "custom", message, input: ctx.value });
      checkBase64(ctx.value, contentPartLimits.audioBytes, "audio", issue);
    }),
    format: z.enum(["wav", "mp3"]),
  }),
});

function checkFileData(value: string, issue: Issue): void {
  const prefix = ANY_DATA_URL.exec(value)?.[0];
  if (prefix === undefined && value.startsWith("data:")) {
    issue("must be a data:<media type>;base64,... URL or plain base64");
    return;
  }
  checkBase64(value.slice(prefix?.length ?? 0), contentPartLimits.fileBytes, "file", issue);
}

/** A file (a PDF) by its bytes (`file_data`, a data URL or base64) or by an uploaded `file_id`. */
export const filePartSchema = z.strictObject({
  type: z.literal("file"),
  file: z
    .strictObject({
      file_data: z
        .string()
        .check((ctx) => {
          checkFileData(ctx.value, (message) =>
            ctx.issues.push({ code: "custom", message, input: ctx.value }),
          );
        })
        .optional(),
      file_id: boundedText(contentPartLimits.fileIdChars).optional(),
      filename: boundedText(contentPartLimits.filenameChars).optional(),
    })
    .refine((file) => file.file_data !== undefined || file.file_id !== undefined, {
      message: "must have file_data or file_id",
    }),
});

/** One part of a message's content: text, an image, audio or a file. */
export const contentPartSchema = z.discriminatedUnion("type", [
  textPartSchema,
  imageUrlPartSchema,
  inputAudioPartSchema,
  filePartSchema,
]);

/** One part of a message's content. */
export type ContentPart = z.infer<typeof contentPartSchema>;

/** A text part. */
export type TextPart = z.infer<typeof textPartSchema>;

/** Whether a part is text (every other kind is allowed only in user messages). */
export const isTextPart = (part: ContentPart): part is TextPart => part.type === "text";
