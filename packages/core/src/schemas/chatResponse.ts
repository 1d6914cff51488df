import { z } from "zod";

// Response schemas are tolerant readers (`z.object`, unknown fields stripped, not rejected): providers
// add fields over time (`annotations`, `service_tier`, ...) and that must not read as a malformed body.
// What Sluice relies on is required and typed.

const count = z.int().min(0);

/** Token usage of one call, OpenAI style. */
export const usageSchema = z.object({
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  prompt_tokens_details: z.object({ cached_tokens: count.optional() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: count.optional() }).nullish(),
});

/** Why generation stopped. */
export const finishReasonSchema = z.enum(["stop", "length", "content_filter", "tool_calls"]);

const alternativeLogprob = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.int()).nullish(),
});

/** Log probability of one generated token with its most likely alternatives. */
export const tokenLogprobSchema = alternativeLogprob.extend({
  top_logprobs: z.array(alternativeLogprob),
});

/** Log probabilities of a choice, present when the request asked for `logprobs`. */
export const choiceLogprobsSchema = z.object({
  content: z.array(tokenLogprobSchema).nullable(),
  refusal: z.array(tokenLogprobSchema).nullish(),
});

/** `chat.completion`: a finished, non-streamed chat completion. */
export const chatCompletionSchema = z.object({
  id: z.string().min(1),
  object: z.literal("chat.completion"),
  created: count,
  model: z.string().min(1),
  choices: z
    .array(
      z.object({
        index: count,
        message: z.object({
          role: z.literal("assistant"),
          content: z.string().nullable(),
          refusal: z.string().nullish(),
        }),
        finish_reason: finishReasonSchema,
        logprobs: choiceLogprobsSchema.nullish(),
      }),
    )
    .min(1),
  usage: usageSchema,
  system_fingerprint: z.string().nullish(),
});

/**
 * `chat.completion.chunk`: one server-sent event of a streamed completion. With
 * `stream_options.include_usage`, the last chunk has no choices and carries `usage`.
 */
export const chatCompletionChunkSchema = z.object({
  id: z.string().min(1),
  object: z.literal("chat.completion.chunk"),
  created: count,
  model: z.string().min(1),
  choices: z.array(
    z.object({
      index: count,
      delta: z.object({
        role: z.literal("assistant").optional(),
        content: z.string().nullish(),
        refusal: z.string().nullish(),
      }),
      finish_reason: finishReasonSchema.nullable(),
      logprobs: choiceLogprobsSchema.nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
  system_fingerprint: z.string().nullish(),
});

/** Token usage of one call, OpenAI style. */
export type Usage = z.infer<typeof usageSchema>;

/** Why a chat completion stopped. */
export type ChatFinishReason = z.infer<typeof finishReasonSchema>;

/** A finished chat completion as Sluice returns it. */
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

/** One streamed chunk of a chat completion. */
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;
