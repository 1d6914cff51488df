import type { Db } from "@sluice/db";
import { runCascade } from "../cascade/cascadeEngine.ts";
import { recordCascadeRun } from "../cascade/cascadeRecorder.ts";
import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import type { CascadeResult } from "../cascade/cascadeResult.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { TokenUsage } from "../models/cost.ts";
import type {
  FinishReason,
  ProviderChatRequest,
  ProviderChoice,
  TokenLogprob,
} from "../providers/provider.ts";
import type { ModelCallContext, ModelClient } from "./modelClient.ts";

/** A finished completion from a model or a cascade, in one shape. */
export interface Completion {
  content: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** The model that produced the answer. */
  modelUsed: string;
  /** What was asked for: a model id or `cascade:<name>`. */
  requested: string;
  costMicros: number;
  latencyMs: number;
  cacheHit: boolean;
  logprobs?: TokenLogprob[];
  /** Every choice in order (`n` of them); the first is `content`, `finishReason` and `logprobs` above. */
  choices: ProviderChoice[];
  cascade?: CascadeResult;
}

/**
 * Cascades validate and return one answer: `n > 1` and `logprobs: true` are refused before anything
 * is spent, rather than silently answering with one choice or without the log probabilities.
 */
function assertCascadeable(request: ProviderChatRequest): void {
  const field = (request.n ?? 1) > 1 ? "n" : request.logprobs === true ? "logprobs" : undefined;
  if (!field) return;
  const what = field === "n" ? "n > 1" : "logprobs: true";
  throw new SluiceError(
    "validation_error",
    `${field}: ${what} is not supported for cascades (${request.model})`,
    {
      details: { field, model: request.model },
    },
  );
}

/**
 * Refuses, before anything is spent, what the addressed cascade or model cannot answer as asked
 * (streamed or not): `n > 1` or `logprobs: true` from a cascade, `n > 1` from an Anthropic model.
 */
export function assertAnswerable(
  deps: { models: ModelClient; cascades: CascadeRegistry },
  request: ProviderChatRequest,
): void {
  if (deps.cascades.resolve(request.model)) {
    assertCascadeable(request);
    return;
  }
  if ((request.n ?? 1) > 1 && deps.models.registry.get(request.model).family === "anthropic") {
    // Anthropic's API has no `n`: answering one choice (billed as one) would look like a short reply.
    throw new SluiceError("validation_error", `n: n > 1 is not supported by ${request.model}`, {
      details: { field: "n", model: request.model },
    });
  }
}

/** Completes a request whose model may be a plain model id or `cascade:<name>`; cascade runs are recorded. */
export async function complete(
  deps: {
    models: ModelClient;
    cascades: CascadeRegistry;
    db?: Db;
    onCascade?: (result: CascadeResult) => void;
  },
  request: ProviderChatRequest,
  context: ModelCallContext = {},
): Promise<Completion> {
  assertAnswerable(deps, request);
  const cascade = deps.cascades.resolve(request.model);
  if (cascade) {
    const result = await runCascade(deps.models, { cascade, request, context });
    deps.onCascade?.(result);
    if (deps.db)
      await recordCascadeRun(deps.db, result, {
        tenantId: context.tenantId ?? null,
        requestId: context.requestId,
      });
    return {
      content: result.content,
      finishReason: result.finishReason,
      usage: result.usage,
      modelUsed: result.modelUsed,
      requested: request.model,
      costMicros: result.totalCostMicros,
      latencyMs: result.latencyMs,
      cacheHit: false,
      choices: [
        {
          content: result.content,
          finishReason: result.finishReason,
          ...(result.toolCalls ? { toolCalls: result.toolCalls } : {}),
        },
      ],
      cascade: result,
    };
  }
  const outcome = await deps.models.chat(request, context);
  const { result } = outcome;
  return {
    content: outcome.result.content,
    finishReason: outcome.result.finishReason,
    usage: outcome.result.usage,
    modelUsed: outcome.model.id,
    requested: request.model,
    costMicros: outcome.costMicros,
    latencyMs: outcome.latencyMs,
    cacheHit: outcome.cacheHit,
    ...(outcome.result.logprobs ? { logprobs: outcome.result.logprobs } : {}),
    // Results cached before choices were kept carry only the first.
    choices: result.choices ?? [
      {
        content: result.content,
        finishReason: result.finishReason,
        ...(result.logprobs ? { logprobs: result.logprobs } : {}),
      },
    ],
  };
}
