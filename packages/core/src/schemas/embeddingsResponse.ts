import { z } from "zod";

const count = z.int().min(0);

/** One embedding; a base64 string of little-endian float32s when the request asked for `base64`. */
export const embeddingSchema = z.object({
  object: z.literal("embedding"),
  index: count,
  embedding: z.union([z.array(z.number()), z.string()]),
});

/** `POST /v1/embeddings` response; tolerant of extra fields like the chat response schemas. */
export const embeddingsResponseSchema = z.object({
  object: z.literal("list"),
  data: z.array(embeddingSchema),
  model: z.string().min(1),
  usage: z.object({ prompt_tokens: count, total_tokens: count }),
});

/** One embedding of an embeddings response. */
export type Embedding = z.infer<typeof embeddingSchema>;

/** An embeddings response as Sluice returns it. */
export type EmbeddingsResponse = z.infer<typeof embeddingsResponseSchema>;
