import type { CascadeOutcome, CascadeAttempt as StoredCascadeAttempt } from "@sluice/db";
import type { TokenUsage } from "../models/cost.ts";
import type { FinishReason } from "../providers/provider.ts";

/** One tier tried within a cascade run (as stored, without its row ids). */
export type CascadeAttempt = Omit<StoredCascadeAttempt, "id" | "runId">;

/** What a cascade run produced and what it cost. */
export interface CascadeResult {
  cascade: string;
  content: string;
  /** The structured answer, when a schema was given and the answer passed it. */
  parsed?: unknown;
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
