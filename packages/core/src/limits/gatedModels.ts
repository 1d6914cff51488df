import type { ChatOutcome, ModelCallContext, ModelClient, ModelStreamEvent } from "../llm/modelClient.ts";
import type { ProviderChatRequest } from "../providers/provider.ts";
import {
  admitChat,
  type Guards,
  guardedEmbed,
  guardedResponses,
  guardedResponsesStream,
} from "./guardedCall.ts";
import type { SpendPrincipal } from "./spendPrincipal.ts";

/**
 * The model client as code that composes its own calls sees it (ticket classification, its
 * cascades and retries, evaluations): every call is admitted under the principal's rate limit and
 * budget before the provider is reached and settled with its real cost, so no composed path can
 * spend outside the gate. A cascade run through it is admitted tier by tier.
 */
export function gatedModels(guards: Guards, principal: SpendPrincipal): ModelClient {
  const { models } = guards.runtime;
  const withTenant = (context: ModelCallContext = {}) => ({ ...context, tenantId: principal.tenant.id });
  return {
    registry: models.registry,
    async chat(request: ProviderChatRequest, context?: ModelCallContext): Promise<ChatOutcome> {
      const { reservation } = await admitChat(guards, principal, request);
      let spent = 0;
      try {
        const outcome = await models.chat(request, withTenant(context));
        spent = outcome.costMicros;
        return outcome;
      } finally {
        await reservation.settle(spent);
      }
    },
    async *stream(
      request: ProviderChatRequest,
      context?: ModelCallContext,
    ): AsyncGenerator<ModelStreamEvent> {
      const { reservation } = await admitChat(guards, principal, request);
      let spent = 0;
      try {
        for await (const event of models.stream(request, withTenant(context))) {
          if (event.type === "done") spent = event.costMicros;
          yield event;
        }
      } finally {
        await reservation.settle(spent);
      }
    },
    async embed(request, context) {
      const { outcome } = await guardedEmbed(guards, principal, request, context ?? {});
      return outcome;
    },
    responses: {
      supports: (modelId) => models.responses.supports(modelId),
      create: async (call, context) =>
        (await guardedResponses(guards, principal, call, context ?? {})).outcome,
      async *stream(call, context) {
        const admitted = await guardedResponsesStream(guards, principal, call, context ?? {});
        yield* admitted.events;
      },
    },
  };
}
