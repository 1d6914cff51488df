import type { CascadeOutcome, CascadeAttempt as StoredCascadeAttempt } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import type { TokenUsage } from "../models/cost.ts";
import type { FinishReason, ProviderToolCall } from "../providers/provider.ts";
import type { Verdict } from "./validators.ts";

/** One tier tried within a cascade run (as stored, without its row ids). */
export type CascadeAttempt = Omit<StoredCascadeAttempt, "id" | "runId">;

/** The attempt of a tier whose model call failed: nothing spent, the error as its reason. */
export function failedAttempt(tier: number, model: string, error: unknown): CascadeAttempt {
  const reason = error instanceof SluiceError ? `${error.code}: ${error.message}` : String(error);
  return {
    tier,
    model,
    inputTokens: 0,
    outputTokens: 0,
    costMicros: 0,
    latencyMs: 0,
    verdict: "error",
    reason,
    confidence: null,
  };
}

/** The attempt of a tier whose draft the validators judged, with what its call spent. */
export function judgedAttempt(
  tier: number,
  model: string,
  call: { usage: TokenUsage; costMicros: number; latencyMs: number },
  verdict: Verdict,
): CascadeAttempt {
  return {
    tier,
    model,
    inputTokens: call.usage.inputTokens,
    outputTokens: call.usage.outputTokens,
    costMicros: call.costMicros,
    latencyMs: Math.round(call.latencyMs),
    verdict: verdict.accept ? "accepted" : "rejected",
    reason: verdict.reason,
    confidence: verdict.confidence ?? null,
  };
}

/** What the attempts so far have spent, as the cost and latency caps weigh it. */
export function spentBy(attempts: CascadeAttempt[], elapsedMs: number) {
  return {
    costMicros: attempts.reduce((s, a) => s + a.costMicros, 0),
    elapsedMs,
    inputTokens: Math.max(...attempts.map((a) => a.inputTokens)),
    outputTokens: Math.max(...attempts.map((a) => a.outputTokens)),
  };
}

/** What a cascade run produced and what it cost. */
export interface CascadeResult {
  cascade: string;
  content: string;
  /** The structured answer, when a schema was given and the answer passed it. */
  parsed?: unknown;
  /** The accepted draft's tool calls, when it answered by calling tools. */
  toolCalls?: ProviderToolCall[];
  finishReason: FinishReason;
  modelUsed: string;
  attempts: CascadeAttempt[];
  usage: TokenUsage;
  totalCostMicros: number;
  /** What the top tier alone would have cost for the same tokens, minus what was spent. */
  savedMicros: number;
  counterfactualMicros: number;
  latencyMs: number;
  /** More than one tier was called. */
  cascaded: boolean;
  /** The first tier's draft was accepted. */
  draftAccepted: boolean;
  preRouted: boolean;
  complexity: number;
  outcome: CascadeOutcome;
}
