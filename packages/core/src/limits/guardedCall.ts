import { attributionOf } from "../auth/attribution.ts";
import { assertModelAllowed } from "../auth/keyPolicy.ts";
import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { responseSchemaValidator, toolCallValidator } from "../cascade/requestContractValidators.ts";
import type { Completion } from "../llm/completion.ts";
import type { LlmRuntime } from "../llm/llmRuntime.ts";
import type { ModelCallContext } from "../llm/modelClient.ts";
import type { ModelResponsesEvent, NativeResponsesCall, ResponsesOutcome } from "../llm/modelResponses.ts";
import { costMicros } from "../models/cost.ts";
import { assertModelTakesInputs } from "../models/modelInputs.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import type { ProviderChatRequest, ProviderEmbeddingsRequest } from "../providers/provider.ts";
import { countChatTokens, countTextTokens } from "../tokens/tokenCount.ts";
import type { BudgetGuard, BudgetReservation } from "./budgetGuard.ts";
import type { RateLimiter, RateLimitState } from "./rateLimiter.ts";
import type { SpendPrincipal } from "./spendPrincipal.ts";

/** What guarded calls need. */
export interface Guards {
  runtime: LlmRuntime;
  rateLimiter: RateLimiter;
  budget: BudgetGuard;
}

/** Every model a chat request may reach: its model, or each tier of its cascade with the tier's cap. */
function modelsReached(
  registry: ModelRegistry,
  cascades: CascadeRegistry,
  request: ProviderChatRequest,
): { model: ModelSpec; maxTokens: number | undefined }[] {
  const cascade = cascades.resolve(request.model);
  const tiers = cascade
    ? cascade.tiers.map((t) => ({ id: t.model, maxTokens: t.maxTokens }))
    : [{ id: request.model, maxTokens: undefined }];
  return tiers.map(({ id, maxTokens }) => ({ model: registry.get(id), maxTokens }));
}

/** The most a chat request can cost: every tier it may reach, at its full output allowance. */
export function maxChatCostMicros(
  registry: ModelRegistry,
  cascades: CascadeRegistry,
  request: ProviderChatRequest,
): number {
  let total = 0;
  for (const { model, maxTokens } of modelsReached(registry, cascades, request)) {
    const inputTokens = countChatTokens(
      { messages: request.messages, tools: request.tools },
      model.family,
      model.upstream,
    );
    const outputTokens =
      Math.min(maxTokens ?? request.maxTokens ?? model.maxOutputTokens, model.maxOutputTokens) *
      (request.n ?? 1);
    total += costMicros(model, { inputTokens, outputTokens });
  }
  return total;
}

/** Admits a chat under the tenant's rate limit and reserves its maximum cost; settle the reservation. */
export async function admitChat(
  guards: Guards,
  principal: SpendPrincipal,
  request: ProviderChatRequest,
): Promise<{ rateLimit: RateLimitState; reservation: BudgetReservation }> {
  assertModelAllowed(principal.apiKey, request.model);
  // A cascade's later tier that cannot take an image must refuse it before the draft tier is paid.
  for (const { model } of modelsReached(guards.runtime.registry, guards.runtime.cascades, request))
    assertModelTakesInputs(model, request.messages);
  // A cascade checks drafts against the request's schemas: one that cannot compile is refused here,
  // before anything is spent and before a stream has answered 200 (compiled once, cached by text).
  if (guards.runtime.cascades.resolve(request.model)) {
    toolCallValidator(request);
    responseSchemaValidator(request);
  }
  const rateLimit = await guards.rateLimiter.take(
    principal,
    countChatTokens({ messages: request.messages, tools: request.tools }, "openai"),
  );
  const reservation = await guards.budget.reserve(
    principal,
    maxChatCostMicros(guards.runtime.registry, guards.runtime.cascades, request),
  );
  return { rateLimit, reservation };
}

/** Chat under the tenant's rate limit and budget: the reservation is settled with the real cost. */
export async function guardedComplete(
  guards: Guards,
  principal: SpendPrincipal,
  request: ProviderChatRequest,
  context: ModelCallContext,
): Promise<{ completion: Completion; rateLimit: RateLimitState }> {
  const { rateLimit, reservation } = await admitChat(guards, principal, request);
  let spent = 0;
  try {
    const completion = await guards.runtime.complete(request, { ...context, ...attributionOf(principal) });
    spent = completion.costMicros;
    return { completion, rateLimit };
  } finally {
    await reservation.settle(spent);
  }
}

/**
 * A native Responses call under the tenant's rate limit and budget. Admission reads the same request
 * as chat (`call.chat`), so rate-limit tokens, the reservation and the input checks match chat's.
 */
export async function guardedResponses(
  guards: Guards,
  principal: SpendPrincipal,
  call: NativeResponsesCall,
  context: ModelCallContext,
): Promise<{ outcome: ResponsesOutcome; rateLimit: RateLimitState }> {
  const { rateLimit, reservation } = await admitChat(guards, principal, call.chat);
  let spent = 0;
  try {
    const outcome = await guards.runtime.models.responses.create(call, {
      ...context,
      ...attributionOf(principal),
    });
    spent = outcome.costMicros;
    return { outcome, rateLimit };
  } finally {
    await reservation.settle(spent);
  }
}

/** An admitted native Responses stream; settles its reservation exactly once, as a chat stream does. */
export interface GuardedResponsesStream {
  rateLimit: RateLimitState;
  /** Iterate once; ending early (break, return, throw) settles with what was spent. */
  events: AsyncGenerator<ModelResponsesEvent, void, undefined>;
  /** Gives the reservation back when the events will never be read; safe to call always. */
  abandon(): Promise<void>;
}

/** Admits a native Responses stream (throws the refusal before any event) and returns its events. */
export async function guardedResponsesStream(
  guards: Guards,
  principal: SpendPrincipal,
  call: NativeResponsesCall,
  context: ModelCallContext,
): Promise<GuardedResponsesStream> {
  const { rateLimit, reservation } = await admitChat(guards, principal, call.chat);
  let settled: Promise<void> | undefined;
  let started = false;
  const settle = (spent: number) => {
    settled ??= reservation.settle(spent);
    return settled;
  };
  async function* events(): AsyncGenerator<ModelResponsesEvent, void, undefined> {
    started = true;
    let spent = 0;
    try {
      for await (const event of guards.runtime.models.responses.stream(call, {
        ...context,
        ...attributionOf(principal),
      })) {
        if (event.type === "done") spent = event.costMicros;
        yield event;
      }
    } finally {
      await settle(spent);
    }
  }
  return {
    rateLimit,
    events: events(),
    abandon: () => (started ? (settled ?? Promise.resolve()) : settle(0)),
  };
}

/** Embeddings under the tenant's rate limit and budget. */
export async function guardedEmbed(
  guards: Guards,
  principal: SpendPrincipal,
  request: ProviderEmbeddingsRequest,
  context: ModelCallContext,
) {
  assertModelAllowed(principal.apiKey, request.model);
  const model = guards.runtime.registry.get(request.model);
  const tokens = request.input.reduce(
    (sum, text) => sum + countTextTokens(text, model.family, model.upstream),
    0,
  );
  const rateLimit = await guards.rateLimiter.take(principal, tokens);
  const reservation = await guards.budget.reserve(
    principal,
    costMicros(model, { inputTokens: tokens, outputTokens: 0 }) + 1,
  );
  let spent = 0;
  try {
    const outcome = await guards.runtime.models.embed(request, { ...context, ...attributionOf(principal) });
    spent = outcome.costMicros;
    return { outcome, rateLimit };
  } finally {
    await reservation.settle(spent);
  }
}
