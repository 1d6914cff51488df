import { z } from "zod";
import { modelNameSchema } from "./chatRequest.ts";
import { parseOrThrow } from "./validationError.ts";

/** Longest single input Sluice forwards (characters; the model's token limit applies too). */
export const MAX_EMBEDDING_INPUT_CHARS = 32_768;

const input = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_EMBEDDING_INPUT_CHARS)
  .refine((s) => !s.includes("\u0000"), "must not contain null bytes");

/** The OpenAI-compatible embeddings request, strict. */
export const embeddingsRequestSchema = z.strictObject({
  model: modelNameSchema,
  input: z.union([input, z.array(input).min(1).max(2048, "must contain at most 2048 inputs")]),
  dimensions: z.int().min(1).max(3072).optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
  user: z.string().max(256).optional(),
});

/** A validated embeddings request. */
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** Validates an embeddings request, or throws a `validation_error` listing every failing path. */
export function parseEmbeddingsRequest(value: unknown): EmbeddingsRequest {
  return parseOrThrow(embeddingsRequestSchema, value, "embeddings request");
}
