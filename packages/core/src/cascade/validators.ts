import type { z } from "zod";
import type { FinishReason, ProviderToolCall, TokenLogprob } from "../providers/provider.ts";
import { issuesOf } from "../schemas/validationError.ts";
import type { CascadeSpec } from "./cascadeSpec.ts";
import { logprobConfidence, selfReportedConfidence } from "./confidence.ts";

/** A tier's answer under review. */
export interface Draft {
  model: string;
  content: string;
  finishReason: FinishReason;
  logprobs?: TokenLogprob[];
  /** The calls the draft makes, when it answers by calling tools. */
  toolCalls?: ProviderToolCall[];
  /** Set by the structured-output validator once the content parses. */
  parsed?: unknown;
}

/** A validator's decision. `hard` rejections mean the draft is unusable, not merely unsure. */
export interface Verdict {
  accept: boolean;
  reason: string;
  hard?: boolean;
  /**
   * With `hard`: the draft breaks the request's own contract (a tool's or the response's schema).
   * Unusable below the last tier; at the last tier it is returned as is, as a plain call would be.
   */
  keepAtLastTier?: boolean;
  confidence?: number;
}

/** Checks a draft; async validators may call other services. */
export type Validator = (draft: Draft, context: { signal: AbortSignal }) => Verdict | Promise<Verdict>;

const REFUSAL = /^\s*(i'?m sorry|i am sorry|i can(?:no|')t|i cannot|i am unable|i'?m unable|as an ai\b)/i;

/** Why a draft cut off at its token limit is rejected. */
export const TRUNCATED_REASON = "truncated by max_tokens";

/** Empty, refusing and truncated drafts are rejected; a draft that only calls tools is not empty. */
export function heuristicsValidator(options: CascadeSpec["heuristics"]): Validator {
  return (draft) => {
    const callsTools = (draft.toolCalls?.length ?? 0) > 0;
    if (options.empty && !callsTools && draft.content.trim().length === 0)
      return { accept: false, hard: true, reason: "empty answer" };
    if (options.refusal && REFUSAL.test(draft.content))
      return { accept: false, hard: true, reason: "refusal" };
    if (options.truncated && draft.finishReason === "length") {
      return { accept: false, hard: true, reason: TRUNCATED_REASON };
    }
    if (draft.finishReason === "content_filter")
      return { accept: false, hard: true, reason: "content filtered" };
    return { accept: true, reason: "heuristics passed" };
  };
}

/** The draft must be JSON valid against the schema (a hard gate); on success it is parsed. */
export function structuredOutputValidator(schema: z.ZodType): Validator {
  return (draft) => {
    let json: unknown;
    try {
      json = JSON.parse(draft.content);
    } catch {
      return { accept: false, hard: true, reason: "schema: not valid JSON" };
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const first = issuesOf(result.error)[0];
      return { accept: false, hard: true, reason: `schema: ${first?.path}: ${first?.message}` };
    }
    draft.parsed = result.data;
    return { accept: true, reason: "schema valid" };
  };
}

/** The draft's confidence must reach the threshold; with no signal at all the draft passes. */
export function confidenceValidator(threshold: number, source: CascadeSpec["confidenceSource"]): Validator {
  return (draft) => {
    const self = selfReportedConfidence(draft.parsed);
    const fromLogprobs = logprobConfidence(draft.logprobs);
    const candidates =
      source === "self" ? [self] : source === "logprobs" ? [fromLogprobs] : [self, fromLogprobs];
    const known = candidates.filter((c): c is number => c !== undefined);
    if (known.length === 0) return { accept: true, reason: "no confidence signal" };
    const confidence = Math.min(...known);
    const rounded = Math.round(confidence * 1000) / 1000;
    return confidence >= threshold
      ? { accept: true, reason: `confidence ${rounded} ≥ ${threshold}`, confidence }
      : { accept: false, reason: `confidence ${rounded} < ${threshold}`, confidence };
  };
}

/** Runs validators in order; the first rejection decides. */
export async function validateDraft(
  draft: Draft,
  validators: Validator[],
  context: { signal: AbortSignal },
): Promise<Verdict> {
  let last: Verdict = { accept: true, reason: "no validators" };
  let confidence: number | undefined;
  for (const validate of validators) {
    last = await validate(draft, context);
    confidence = last.confidence ?? confidence;
    if (!last.accept) break;
  }
  return confidence === undefined ? last : { ...last, confidence };
}
