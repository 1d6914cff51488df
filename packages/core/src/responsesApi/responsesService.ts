import type { ChatCallContext, ChatService } from "../chat/chatService.ts";
import { type Clock, systemClock } from "../limits/clock.ts";
import type { RateLimitState } from "../limits/rateLimiter.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import type { ProviderResponsesObject } from "../providers/provider.ts";
import { inResponsesTermsAsync, renamedError } from "./chatPaths.ts";
import { createNativeEventWriter, nativeOutcome, nativeResponse, upstreamBody } from "./nativeResponses.ts";
import { createResponseEventWriter, type ResponseStreamEvent } from "./responseEvents.ts";
import {
  outputItems,
  type ResponseExtension,
  type ResponseObject,
  type ResponseOutcome,
  responseIds,
  responseObject,
  statusOf,
} from "./responseObject.ts";
import type { ResponsesRequest } from "./responsesRequest.ts";
import { translateRequest } from "./toChatRequest.ts";

/** How a transport calls: its call context and how it builds Sluice's extension object. */
export interface ResponsesCallOptions {
  context: ChatCallContext;
  extension: ResponseExtension;
}

/** An admitted response stream: its events, and the closing events should it fail midway. */
export interface ResponsesStream {
  rateLimit: RateLimitState;
  /** Iterate once; ending early settles the reservation, as the chat stream does. */
  events: AsyncGenerator<ResponseStreamEvent, void, undefined>;
  /** `response.failed` and `error`, numbered after the events already sent. */
  fail(error: { code: string; message: string }): ResponseStreamEvent[];
  /** Gives the reservation back when the events will never be read; safe to call always. */
  abandon(): Promise<void>;
}

/**
 * The Responses API (`/v1/responses`): served natively by models whose provider speaks it, and by
 * translation onto chat for the others (Anthropic models, cascades). Both pass the chat service's guards.
 */
export interface ResponsesService {
  /** One response object, from a model or `cascade:<name>`. */
  create(
    principal: SpendPrincipal,
    body: ResponsesRequest,
    options: ResponsesCallOptions,
  ): Promise<{
    response: ResponseObject | ProviderResponsesObject;
    outcome: ResponseOutcome;
    rateLimit: RateLimitState;
  }>;
  /** Admits a stream (throws the refusal before any event) and returns its Responses events. */
  stream(
    principal: SpendPrincipal,
    body: ResponsesRequest,
    options: ResponsesCallOptions,
  ): Promise<ResponsesStream>;
}

/** Builds the Responses service over the chat service, so every call passes the same guards. */
export function createResponsesService(deps: { chat: ChatService; clock?: Clock }): ResponsesService {
  const clock = deps.clock ?? systemClock;
  const seconds = () => Math.floor(clock.now() / 1000);
  return {
    async create(principal, body, options) {
      const { chat, origins } = translateRequest({ ...body, stream: false });
      if (deps.chat.responses.supports(body.model)) {
        const { outcome, rateLimit } = await inResponsesTermsAsync(origins, () =>
          deps.chat.responses.create(principal, { chat, body: upstreamBody(body) }, options.context),
        );
        const base = { id: responseIds().response, request: body, extension: options.extension };
        return {
          response: nativeResponse(outcome, base),
          outcome: nativeOutcome({ ...outcome, model: outcome.model.id }, body),
          rateLimit,
        };
      }
      const createdAt = seconds();
      // Refusals before any spend (a model that takes no images, a tool schema a cascade cannot
      // compile) name the chat request's paths; the caller is told its own.
      const { completion, rateLimit } = await inResponsesTermsAsync(origins, () =>
        deps.chat.complete(principal, chat, options.context),
      );
      const ids = responseIds();
      const choice = completion.choices[0] ?? {
        content: completion.content,
        finishReason: completion.finishReason,
      };
      const response = responseObject(
        { ids, request: body, createdAt, extension: options.extension },
        {
          ...statusOf(completion.finishReason),
          output: outputItems(ids, choice),
          usage: completion.usage,
          completedAt: seconds(),
          sluice: options.extension(completion),
        },
      );
      return { response, outcome: { ...completion }, rateLimit };
    },
    async stream(principal, body, options) {
      const { chat, origins } = translateRequest({ ...body, stream: true });
      if (deps.chat.responses.supports(body.model)) {
        const native = await inResponsesTermsAsync(origins, () =>
          deps.chat.responses.stream(principal, { chat, body: upstreamBody(body) }, options.context),
        );
        const writer = createNativeEventWriter({
          ids: responseIds(),
          request: body,
          createdAt: seconds(),
          extension: options.extension,
        });
        async function* passed(): AsyncGenerator<ResponseStreamEvent, void, undefined> {
          for await (const event of native.events) yield writer.next(event);
        }
        return { rateLimit: native.rateLimit, events: passed(), fail: writer.fail, abandon: native.abandon };
      }
      const writer = createResponseEventWriter(
        { ids: responseIds(), request: body, createdAt: seconds(), extension: options.extension },
        () => clock.now(),
      );
      // Cascades hold the draft until it validates: Responses clients cannot take text back.
      const stream = await inResponsesTermsAsync(origins, () =>
        deps.chat.stream(principal, chat, { context: options.context, mode: "hold" }),
      );
      async function* events(): AsyncGenerator<ResponseStreamEvent, void, undefined> {
        yield* writer.start();
        try {
          for await (const event of stream.events) yield* writer.next(event);
        } catch (error) {
          throw renamedError(error, origins);
        }
      }
      return { rateLimit: stream.rateLimit, events: events(), fail: writer.fail, abandon: stream.abandon };
    },
  };
}
