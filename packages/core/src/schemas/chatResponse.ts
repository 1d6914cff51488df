import { z } from "zod";

const usageSchema = z.object({
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
  total_tokens: z.int().min(0),
});

const finishReason = z.enum(["stop", "length", "content_filter", "tool_calls"]);

/** `chat.completion` as Sluice returns it on its OpenAI-compatible surface. */
export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.int(),
  model: z.string(),
  choices: z
    .array(
      z.object({
        index: z.int().min(0),
        message: z.object({ role: z.literal("assistant"), content: z.string().nullable() }),
        finish_reason: finishReason,
        logprobs: z.unknown().optional(),
      }),
    )
    .min(1),
  usage: usageSchema,
});

/** One `chat.completion.chunk` of a stream. */
export const chatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      delta: z.object({ role: z.literal("assistant").optional(), content: z.string().optional() }),
      finish_reason: finishReason.nullable(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});

/** The embeddings response. */
export const embeddingsResponseSchema = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({ object: z.literal("embedding"), index: z.int().min(0), embedding: z.array(z.number()) }),
  ),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.int().min(0), total_tokens: z.int().min(0) }),
});

export type ChatCompletion = z.infer<typeof chatCompletionSchema>;
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
export type EmbeddingsResponse = z.infer<typeof embeddingsResponseSchema>;
