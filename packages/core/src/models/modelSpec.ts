import { z } from "zod";

/** Wire format and tokenizer family of a model. */
export type ModelFamily = "openai" | "anthropic";

/** Kinds of input a chat model may take in its messages. */
export const modelInputKinds = ["text", "image", "audio", "file"] as const;

/** One kind of input a chat model takes. */
export type ModelInput = (typeof modelInputKinds)[number];

/**
 * What a model takes when its entry does not say, judged by the provider's name for it: gpt-4o and
 * gpt-4.1 models take text, images and files (audio only the `audio` variants), Claude models text,
 * images and PDFs, the simulator's `sim-*` models text and images, anything else text alone.
 */
export function defaultInputsFor(upstream: string): ModelInput[] {
  if (/^gpt-4(o|\.1)/.test(upstream))
    return upstream.includes("audio") ? ["text", "image", "audio", "file"] : ["text", "image", "file"];
  if (upstream.startsWith("claude-")) return ["text", "image", "file"];
  if (upstream.startsWith("sim-")) return ["text", "image"];
  return ["text"];
}

/** Schema of one model entry, as operators write it in configuration. */
export const modelSpecSchema = z
  .strictObject({
    /** Sluice's name for the model (what callers send as `model`). */
    id: z.string().regex(/^[A-Za-z0-9._:/-]{1,128}$/),
    /** Which configured provider serves it (`openai`, `anthropic`, or a named OpenAI-compatible one). */
    provider: z.string().min(1),
    /** The provider's own name for it. */
    upstream: z.string().min(1),
    family: z.enum(["openai", "anthropic"]),
    kind: z.enum(["chat", "embedding"]).default("chat"),
    /** Micro-dollars per million input tokens ($0.15/M is 150000). */
    inputMicrosPerMillion: z.int().min(0),
    /** Micro-dollars per million output tokens. */
    outputMicrosPerMillion: z.int().min(0),
    /** Discount of the provider's Batch API in basis points (5000 = 50%). */
    batchDiscountBps: z.int().min(0).max(10_000).default(5_000),
    contextWindow: z.int().positive(),
    maxOutputTokens: z.int().positive(),
    capabilities: z
      .strictObject({
        jsonSchema: z.boolean().default(false),
        logprobs: z.boolean().default(false),
        streaming: z.boolean().default(true),
        batch: z.boolean().default(true),
      })
      .prefault({}),
    /** Kinds of message input it takes (default: judged from `upstream`, see defaultInputsFor). */
    inputs: z
      .array(z.enum(modelInputKinds))
      .min(1)
      .refine((inputs) => inputs.includes("text"), 'must include "text"')
      .optional(),
  })
  .transform((spec) => ({ ...spec, inputs: spec.inputs ?? defaultInputsFor(spec.upstream) }));

/** One model Sluice can call, with its prices in integer micro-dollars. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;

/** Input shape of a model entry (defaults not yet applied). */
export type ModelSpecInput = z.input<typeof modelSpecSchema>;
