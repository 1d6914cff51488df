import { attributionOf } from "../auth/attribution.ts";
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
  const withTenant = (context: ModelCallContext = {}) => ({ ...context, ...attributionOf(principal) });
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

/** Runs composed model calls admitted as one request (see `admittedRuns`). */
export type RunAdmission = <T>(
  request: ProviderChatRequest,
  run: (models: ModelClient) => Promise<T>,
) => Promise<T>;

/**
 * Admits a run of model calls as the one request it answers (a model or `cascade:<name>`): the
 * rate limit is taken once and the request's most (every tier of a cascade) reserved before any
 * call, so a refusal comes before anything is paid and never halfway through a cascade. The run's
 * calls go to the runtime and the reservation is settled with what they cost, counted as they return.
 */
export function admittedRuns(guards: Guards, principal: SpendPrincipal): RunAdmission {
  const { models } = guards.runtime;
  const attributed = (context: ModelCallContext = {}) => ({ ...context, ...attributionOf(principal) });
  return async (request, run) => {
    const { reservation } = await admitChat(guards, principal, request);
    let spent = 0;
    const counting: ModelClient = {
      registry: models.registry,
      responses: models.responses,
      async chat(r, context) {
        const outcome = await models.chat(r, attributed(context));
        spent += outcome.costMicros;
        return outcome;
      },
      async *stream(r, context) {
        for await (const event of models.stream(r, attributed(context))) {
          if (event.type === "done") spent += event.costMicros;
          yield event;
        }
      },
      async embed(r, context) {
        const outcome = await models.embed(r, attributed(context));
        spent += outcome.costMicros;
        return outcome;
      },
    };
    try {
      return await run(counting);
    } finally {
      await reservation.settle(spent);
    }
  };
}
