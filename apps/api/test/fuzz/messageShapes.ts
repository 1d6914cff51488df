import { textPartSchema } from "@sluice/core";
import { z } from "zod";

/**
 * Message shapes for generated chat requests, kept apart from core's schemas (which the generated
 * requests are still parsed by): generation follows these, so they stay small and mostly valid.
 */

/** Smallest readable images, base64: a 1×1 PNG and a 1×1 GIF. */
export const TINY_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==";
export const TINY_GIF_BASE64 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==";

/** Text content: a string or a few text parts. */
export const textContent = z.union([z.string().min(1), z.array(textPartSchema).min(1).max(3)]);

/** An image by small data URL or by web URL (http ones are refused by path). */
const imagePart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({
    url: z.union([
      z.enum([`data:image/png;base64,${TINY_PNG_BASE64}`, `data:image/gif;base64,${TINY_GIF_BASE64}`]),
      z.url(),
    ]),
    detail: z.enum(["auto", "low", "high"]).optional(),
  }),
});

/** Valid names only: random ones are mostly refused, and refusals come from mutating valid input. */
const participantName = z.enum(["alice", "support_bot-2"]);

/** A system, developer or user message: text, and for users images too. */
export const plainMessage = z.union([
  z.strictObject({
    role: z.enum(["system", "developer"]),
    content: textContent,
    name: participantName.optional(),
  }),
  z.strictObject({
    role: z.literal("user"),
    content: z.union([
      textContent,
      z
        .array(z.union([textPartSchema, imagePart]))
        .min(1)
        .max(3),
    ]),
    name: participantName.optional(),
  }),
]);

/** An assistant turn with text only. */
export const textAssistantMessage = z.strictObject({
  role: z.literal("assistant"),
  content: textContent,
  name: participantName.optional(),
});
