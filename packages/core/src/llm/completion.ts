import type { Db } from "@sluice/db";
import { runCascade } from "../cascade/cascadeEngine.ts";
import { recordCascadeRun } from "../cascade/cascadeRecorder.ts";
import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import type { CascadeResult } from "../cascade/cascadeResult.ts";
import type { TokenUsage } from "../models/cost.ts";
import type { FinishReason, ProviderChatRequest, TokenLogprob } from "../providers/provider.ts";
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
  cascade?: CascadeResult;
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
      cascade: result,
    };
  }
  const outcome = await deps.models.chat(request, context);
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
  };
}
