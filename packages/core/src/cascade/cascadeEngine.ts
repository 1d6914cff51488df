import type { z } from "zod";
import { isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import type { ChatOutcome, ModelCallContext, ModelClient } from "../llm/modelClient.ts";
import { costMicros } from "../models/cost.ts";
import type { ProviderChatRequest } from "../providers/provider.ts";
import { abortError, isAbort } from "../providers/providerErrors.ts";
import {
  type CascadeAttempt,
  type CascadeResult,
  failedAttempt,
  judgedAttempt,
  spentBy,
} from "./cascadeResult.ts";
import type { CascadeSpec } from "./cascadeSpec.ts";
import { estimateComplexity } from "./preRouter.ts";
import { responseSchemaValidator, toolCallValidator } from "./requestContractValidators.ts";
import {
  confidenceValidator,
  type Draft,
  heuristicsValidator,
  structuredOutputValidator,
  TRUNCATED_REASON,
  type Validator,
  type Verdict,
  validateDraft,
} from "./validators.ts";

/** What to run through a cascade. */
export interface CascadeRunInput {
  cascade: CascadeSpec;
  /** The request; its `model` is replaced by each tier's. */
  request: ProviderChatRequest;
  /** Structured output the answer must satisfy (a hard gate at every tier). */
  schema?: z.ZodType;
  /** Extra checks after the built-in ones. */
  validators?: Validator[];
  context?: ModelCallContext;
}

/**
 * The validators of a cascade, in order: heuristics, schema (the caller's zod schema, else the
 * request's `json_schema` response format), the request's tool calls, confidence, custom. Request
 * schemas compile here, so an unusable one fails before any tier is paid for.
 */
export function validatorsFor(
  input: Pick<CascadeRunInput, "cascade" | "schema" | "validators"> & { request?: ProviderChatRequest },
): Validator[] {
  const { request } = input;
  const responseSchema = !input.schema && request ? responseSchemaValidator(request) : undefined;
  const toolCalls = request ? toolCallValidator(request) : undefined;
  return [
    heuristicsValidator(input.cascade.heuristics),
    ...(input.schema ? [structuredOutputValidator(input.schema)] : []),
    ...(responseSchema ? [responseSchema] : []),
    ...(toolCalls ? [toolCalls] : []),
    confidenceValidator(input.cascade.confidenceThreshold, input.cascade.confidenceSource),
    ...(input.validators ?? []),
  ];
}

/** Whether a rejected draft may still stand: merely unsure, or breaking the request's contract at the last tier. */
export function usableDespite(verdict: Verdict, atLastTier: boolean): boolean {
  return !verdict.hard || (atLastTier && verdict.keepAtLastTier === true);
}

/** The tier a run starts at, and why. */
export function startingTier(
  cascade: CascadeSpec,
  request: ProviderChatRequest,
): { tier: number; complexity: number } {
  const complexity = estimateComplexity(request.messages);
  const skip = cascade.preRouter.enabled && complexity >= cascade.preRouter.threshold;
  return { tier: skip ? cascade.tiers.length - 1 : 0, complexity };
}

/** The request a tier receives. */
export function tierRequest(
  cascade: CascadeSpec,
  tier: number,
  request: ProviderChatRequest,
): ProviderChatRequest {
  const t = cascade.tiers[tier]!;
  return {
    ...request,
    model: t.model,
    ...(t.temperature === undefined ? {} : { temperature: t.temperature }),
    ...(t.maxTokens === undefined ? {} : { maxTokens: t.maxTokens }),
    // Logprobs feed the confidence check where the model offers them.
    ...(request.logprobs === undefined ? { logprobs: true } : {}),
  };
}

/** Why escalation must stop before `tier`, if it must. */
export function capReached(
  models: ModelClient,
  cascade: CascadeSpec,
  tier: number,
  spent: { costMicros: number; elapsedMs: number; inputTokens: number; outputTokens: number },
  request: ProviderChatRequest,
): "cost_cap" | "latency_cap" | undefined {
  if (cascade.maxLatencyMs !== undefined && spent.elapsedMs >= cascade.maxLatencyMs) return "latency_cap";
  if (cascade.maxCostMicros === undefined) return undefined;
  const next = models.registry.get(cascade.tiers[tier]!.model);
  const estimate = costMicros(next, {
    inputTokens: spent.inputTokens,
    outputTokens: request.maxTokens ?? Math.max(spent.outputTokens, 1),
  });
  return spent.costMicros + estimate > cascade.maxCostMicros ? "cost_cap" : undefined;
}

interface TierOutcome {
  draft?: Draft;
  verdict: Verdict;
  attempt: CascadeAttempt;
  outcome?: ChatOutcome;
  /** What the tier's model call threw, when it did. */
  error?: unknown;
}

async function runTier(
  models: ModelClient,
  input: CascadeRunInput,
  tier: number,
  validators: Validator[],
  signal: AbortSignal,
): Promise<TierOutcome> {
  const request = tierRequest(input.cascade, tier, input.request);
  let outcome: ChatOutcome;
  try {
    outcome = await models.chat(request, { ...input.context, signal });
  } catch (error) {
    if (isAbort(error) || signal.aborted) throw abortError(signal);
    const attempt = failedAttempt(tier, request.model, error);
    return { verdict: { accept: false, hard: true, reason: attempt.reason }, attempt, error };
  }
  const { result } = outcome;
  const draft: Draft = {
    model: request.model,
    content: result.content,
    finishReason: result.finishReason,
    ...(result.logprobs ? { logprobs: result.logprobs } : {}),
    ...(result.toolCalls && result.toolCalls.length > 0 ? { toolCalls: result.toolCalls } : {}),
  };
  const verdict = await validateDraft(draft, validators, { signal });
  return {
    draft,
    verdict,
    outcome,
    attempt: judgedAttempt(
      tier,
      request.model,
      { usage: result.usage, costMicros: outcome.costMicros, latencyMs: outcome.latencyMs },
      verdict,
    ),
  };
}

/** Accounting shared by the blocking and streaming runs. */
export function summarise(
  models: ModelClient,
  input: Pick<CascadeRunInput, "cascade">,
  chosen: { draft: Draft; outcome: ChatOutcome },
  attempts: CascadeAttempt[],
  extra: {
    startedAt: number;
    now: number;
    preRouted: boolean;
    complexity: number;
    outcome: CascadeResult["outcome"];
  },
): CascadeResult {
  const top = models.registry.get(input.cascade.tiers.at(-1)!.model);
  const usage = chosen.outcome.result.usage;
  const totalCostMicros = attempts.reduce((sum, a) => sum + a.costMicros, 0);
  const counterfactualMicros = costMicros(top, usage);
  const calledTiers = attempts.length;
  return {
    cascade: input.cascade.name,
    content: chosen.draft.content,
    ...(chosen.draft.parsed === undefined ? {} : { parsed: chosen.draft.parsed }),
    ...(chosen.draft.toolCalls ? { toolCalls: chosen.draft.toolCalls } : {}),
    finishReason: chosen.draft.finishReason,
    modelUsed: chosen.draft.model,
    attempts,
    usage,
    totalCostMicros,
    counterfactualMicros,
    savedMicros: counterfactualMicros - totalCostMicros,
    latencyMs: Math.round(extra.now - extra.startedAt),
    cascaded: calledTiers > 1,
    draftAccepted: attempts[0]?.tier === 0 && attempts[0]?.verdict === "accepted",
    preRouted: extra.preRouted,
    complexity: extra.complexity,
    outcome: extra.outcome,
  };
}

/**
 * Why no tier answered usably. Every tier refusing the request itself (too long for its context,
 * say) or cut off by the caller's own `max_tokens` is the request's doing (a client fault: retrying
 * cannot help); anything else is the models' (502). `failures` are what the tiers' calls threw.
 */
export function noUsableAnswer(
  input: CascadeRunInput,
  attempts: CascadeAttempt[],
  failures: unknown[],
  stoppedBy?: "cost_cap" | "latency_cap",
): SluiceError {
  const refusal = failures.at(-1);
  if (
    isSluiceError(refusal) &&
    failures.length === attempts.length &&
    failures.every((e) => isSluiceError(e) && e.clientFault)
  )
    return refusal;
  const name = input.cascade.name;
  const details = { cascade: name, attempts, ...(stoppedBy ? { stoppedBy } : {}) };
  const { maxTokens } = input.request;
  const cutOffByCaller =
    maxTokens !== undefined &&
    attempts.length > 0 &&
    attempts.every(
      (a) => a.reason === TRUNCATED_REASON && input.cascade.tiers[a.tier]?.maxTokens === undefined,
    );
  if (cutOffByCaller) {
    return new SluiceError(
      "validation_error",
      `every tier of cascade "${name}" was cut off by max_tokens (${maxTokens}): raise max_tokens or leave it out`,
      { details },
    );
  }
  return new SluiceError(
    "model_error",
    stoppedBy
      ? `cascade "${name}" stopped at its ${stoppedBy === "cost_cap" ? "cost" : "latency"} cap before any tier produced a usable answer`
      : `no tier of cascade "${name}" produced a usable answer`,
    { details, retriable: false },
  );
}

/** Runs a cascade: cheapest tier first, escalating only while validators reject and caps allow. */
export async function runCascade(models: ModelClient, input: CascadeRunInput): Promise<CascadeResult> {
  const signal = input.context?.signal ?? new AbortController().signal;
  const validators = validatorsFor(input);
  const startedAt = performance.now();
  const { tier: first, complexity } = startingTier(input.cascade, input.request);
  const attempts: CascadeAttempt[] = [];
  const failures: unknown[] = [];
  let usable: { draft: Draft; outcome: ChatOutcome } | undefined;
  let stoppedBy: "cost_cap" | "latency_cap" | undefined;
  const last = input.cascade.tiers.length - 1;

  for (let tier = first; tier <= last; tier++) {
    if (signal.aborted) throw abortError(signal);
    if (tier > first) {
      const spent = spentBy(attempts, performance.now() - startedAt);
      stoppedBy = capReached(models, input.cascade, tier, spent, input.request);
      if (stoppedBy) break;
    }
    const run = await runTier(models, input, tier, validators, signal);
    attempts.push(run.attempt);
    if ("error" in run) failures.push(run.error);
    if (run.draft && run.outcome && !run.verdict.hard) usable = { draft: run.draft, outcome: run.outcome };
    // The last tier's draft that breaks the request's contract stands only when nothing better did.
    else if (run.draft && run.outcome && usableDespite(run.verdict, tier === last))
      usable ??= { draft: run.draft, outcome: run.outcome };
    if (run.verdict.accept && run.draft && run.outcome) {
      const outcome = tier === first ? "accepted" : "escalated";
      return summarise(models, input, { draft: run.draft, outcome: run.outcome }, attempts, {
        startedAt,
        now: performance.now(),
        preRouted: first > 0,
        complexity,
        outcome,
      });
    }
  }
  // Nothing was accepted: the strongest usable (merely unsure) draft stands, if there is one.
  if (usable) {
    return summarise(models, input, usable, attempts, {
      startedAt,
      now: performance.now(),
      preRouted: first > 0,
      complexity,
      outcome: stoppedBy ?? "escalated",
    });
  }
  throw noUsableAnswer(input, attempts, failures, stoppedBy);
}
