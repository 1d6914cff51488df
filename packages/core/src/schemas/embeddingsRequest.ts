import { z } from "zod";
import { boundedText, modelNameSchema } from "./textFields.ts";
import { parseOrThrow, withoutNullFields } from "./validationError.ts";

/** Bounds on an embeddings request. */
export const embeddingsRequestLimits = {
  /** Inputs in one request (OpenAI's limit). */
  inputs: 2048,
  /**
   * Characters in one input. Embedding models take about 8k tokens per input; 100k characters is
   * above that for any real text, so the model's token limit is what bites, not this.
   */
  inputChars: 100_000,
  dimensions: 3072,
  userChars: 256,
} as const;

/** Longest single input Sluice forwards (characters; the model's token limit applies too). */
export const MAX_EMBEDDING_INPUT_CHARS = embeddingsRequestLimits.inputChars;

const embeddingInput = boundedText(embeddingsRequestLimits.inputChars);

/**
 * OpenAI-compatible `POST /v1/embeddings` body; unknown fields are rejected. Token-array inputs
 * (`number[]`, `number[][]`) are not accepted: Sluice prices and caches by text.
 */
export const embeddingsRequestSchema = z.strictObject({
  model: modelNameSchema,
  input: z.union(
    [
      embeddingInput,
      z
        .array(embeddingInput)
        .min(1, "must have at least 1 input")
        .max(embeddingsRequestLimits.inputs, `must have at most ${embeddingsRequestLimits.inputs} inputs`),
    ],
    { error: "must be a non-empty string or an array of non-empty strings" },
  ),
  dimensions: z
    .int()
    .min(1, `must be between 1 and ${embeddingsRequestLimits.dimensions}`)
    .max(embeddingsRequestLimits.dimensions, `must be between 1 and ${embeddingsRequestLimits.dimensions}`)
    .optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
  user: boundedText(embeddingsRequestLimits.userChars).optional(),
});

/** A validated embeddings request. */
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** An embeddings request before validation. */
export type EmbeddingsRequestInput = z.input<typeof embeddingsRequestSchema>;

/**
 * Validates an embeddings body; throws a `validation_error` SluiceError listing every issue.
 * Top-level `null` fields count as absent, as OpenAI treats them.
 */
export function parseEmbeddingsRequest(input: unknown): EmbeddingsRequest {
  return parseOrThrow(embeddingsRequestSchema, withoutNullFields(input), "embeddings request");
}

/** The inputs of a request as a list, whichever form it was sent in. */
export function embeddingInputs(request: Pick<EmbeddingsRequest, "input">): string[] {
  return typeof request.input === "string" ? [request.input] : request.input;
}
