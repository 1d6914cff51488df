import { z } from "zod";

/** Schema of a named cascade as operators configure it. */
export const cascadeSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be lowercase letters, digits, _ or -"),
  /** Cheapest first; the last tier is the strongest. */
  tiers: z
    .array(
      z.strictObject({
        model: z.string().min(1),
        temperature: z.number().min(0).max(2).optional(),
        maxTokens: z.int().positive().optional(),
      }),
    )
    .min(2, "a cascade needs at least two tiers"),
  /** A draft below this confidence escalates. */
  confidenceThreshold: z.number().min(0).max(1).default(0.8),
  /** Which confidence to trust: the model's own, its logprobs, or the lower of the two available. */
  confidenceSource: z.enum(["self", "logprobs", "lowest"]).default("lowest"),
  heuristics: z
    .strictObject({
      empty: z.boolean().default(true),
      refusal: z.boolean().default(true),
      truncated: z.boolean().default(true),
    })
    .prefault({}),
  /** Send queries whose estimated complexity reaches `threshold` straight to the last tier. */
  preRouter: z
    .strictObject({ enabled: z.boolean().default(false), threshold: z.number().min(0).max(1).default(0.7) })
    .prefault({}),
  /** Stop escalating when the next tier could push the run's cost past this (micro-dollars). */
  maxCostMicros: z.int().positive().optional(),
  /** Stop escalating once the run has taken this long. */
  maxLatencyMs: z.int().positive().optional(),
});

/** A cascade: tiers, validation and escalation policy, as data. */
export type CascadeSpec = z.infer<typeof cascadeSpecSchema>;
/** A cascade as written in configuration (defaults not applied). */
export type CascadeSpecInput = z.input<typeof cascadeSpecSchema>;

/** Cascades available out of the box. */
export const defaultCascades: CascadeSpecInput[] = [
  { name: "simulator", tiers: [{ model: "sim-small" }, { model: "sim-large" }], confidenceThreshold: 0.8 },
  { name: "openai", tiers: [{ model: "gpt-4o-mini" }, { model: "gpt-4o" }], confidenceThreshold: 0.8 },
  {
    name: "anthropic",
    tiers: [{ model: "claude-haiku-4-5" }, { model: "claude-sonnet-4-5" }],
    confidenceThreshold: 0.8,
  },
];

/** The prefix that makes a model name address a cascade. */
export const CASCADE_PREFIX = "cascade:";
