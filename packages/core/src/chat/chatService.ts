import type { CascadeStreamMode } from "../cascade/cascadeStream.ts";
import {
  type GuardedResponsesStream,
  type Guards,
  guardedComplete,
  guardedEmbed,
  guardedResponses,
  guardedResponsesStream,
} from "../limits/guardedCall.ts";
import type { RateLimitState } from "../limits/rateLimiter.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import { assertAnswerable, type Completion } from "../llm/completion.ts";
import type { EmbeddingsOutcome, ModelCallContext } from "../llm/modelClient.ts";
import type { ResponsesOutcome } from "../llm/modelResponses.ts";
import type { ProviderResponsesBody } from "../providers/provider.ts";
import { type ChatRequest, chatRequestSchema } from "../schemas/chatRequest.ts";
import { type EmbeddingsRequest, embeddingInputs } from "../schemas/embeddingsRequest.ts";
import { type GuardedStream, guardedStream } from "./guardedStream.ts";

/** Who calls and how, as a transport knows it. */
export type ChatCallContext = Omit<ModelCallContext, "tenantId">;

/** A Responses request for a native call: the body sent upstream and the same request as chat. */
export interface NativeResponsesRequest {
  chat: ChatRequest;
  body: ProviderResponsesBody;
}

/** OpenAI's Responses API served natively, under the same guards as chat. */
export interface NativeResponsesService {
  /** True for a plain model (not a cascade) whose provider serves the Responses API. */
  supports(model: string): boolean;
  create(
    principal: SpendPrincipal,
    request: NativeResponsesRequest,
    context: ChatCallContext,
  ): Promise<{ outcome: ResponsesOutcome; rateLimit: RateLimitState }>;
  /** Admits a stream (throws the refusal before any event) and returns the provider's events. */
  stream(
    principal: SpendPrincipal,
    request: NativeResponsesRequest,
    context: ChatCallContext,
  ): Promise<GuardedResponsesStream>;
}

/** Chat, cascades and embeddings under the tenant's rate limit and budget, for every transport. */
export interface ChatService {
  /** One completion from a model or `cascade:<name>`. */
  complete(
    principal: SpendPrincipal,
    body: ChatRequest,
    context: ChatCallContext,
  ): Promise<{ completion: Completion; rateLimit: RateLimitState }>;
  /** Runs the named cascade on a request whose other fields are validated here. */
  runCascade(
    principal: SpendPrincipal,
    name: string,
    request: unknown,
    context: ChatCallContext,
  ): Promise<{ completion: Completion; rateLimit: RateLimitState }>;
  /** Admits a stream (throws the refusal before any event) and returns its events. */
  stream(
    principal: SpendPrincipal,
    body: ChatRequest,
    options: { context: ChatCallContext; mode: CascadeStreamMode },
  ): Promise<GuardedStream>;
  /** Embeds one or many inputs. */
  embed(
    principal: SpendPrincipal,
    body: Pick<EmbeddingsRequest, "model" | "input" | "dimensions">,
    context: ChatCallContext,
  ): Promise<{ outcome: EmbeddingsOutcome; rateLimit: RateLimitState }>;
  /** The Responses API for models served natively (others are translated onto chat by the caller). */
  responses: NativeResponsesService;
}

/** Builds the chat service from the guards every paid call passes. */
export function createChatService(guards: Guards): ChatService {
  return {
    complete: (principal, body, context) =>
      guardedComplete(guards, principal, toProviderRequest(body), context),
    runCascade(principal, name, request, context) {
      const fields = typeof request === "object" && request !== null ? request : {};
      const body = chatRequestSchema.parse({ ...fields, model: `cascade:${name}` });
      return guardedComplete(guards, principal, toProviderRequest(body), context);
    },
    stream(principal, body, options) {
      const request = toProviderRequest(body);
      // Refused here, before admission, so a transport answers 400 before it commits to a stream.
      assertAnswerable(guards.runtime, request);
      return guardedStream(guards, principal, request, options);
    },
    embed: (principal, body, context) =>
      guardedEmbed(
        guards,
        principal,
        {
          model: body.model,
          input: embeddingInputs(body),
          ...(body.dimensions ? { dimensions: body.dimensions } : {}),
        },
        context,
      ),
    responses: {
      supports: (model) =>
        guards.runtime.cascades.resolve(model) === undefined &&
        guards.runtime.models.responses.supports(model),
      create: (principal, { chat, body }, context) =>
        guardedResponses(guards, principal, { chat: toProviderRequest(chat), body }, context),
      stream: (principal, { chat, body }, context) =>
        guardedResponsesStream(guards, principal, { chat: toProviderRequest(chat), body }, context),
    },
  };
}
