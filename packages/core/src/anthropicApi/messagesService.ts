import { randomUUID } from "node:crypto";
import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import type { ChatCallContext, ChatService } from "../chat/chatService.ts";
import type { RateLimitState } from "../limits/rateLimiter.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import type { Completion } from "../llm/completion.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";
import type { ChatRequest } from "../schemas/chatRequest.ts";
import { countChatTokens } from "../tokens/tokenCount.ts";
import { type AnthropicMessage, toAnthropicMessage } from "./messageResponse.ts";
import { type AnthropicStreamEvent, createMessageStreamEncoder } from "./messageStreamEncoder.ts";
import type { CountTokensRequest, MessagesRequest } from "./messagesRequest.ts";
import { conversationToChatRequest, messagesToChatRequest } from "./messagesToChat.ts";

/** An admitted Anthropic stream: its rate-limit state and its events, `message_start` first. */
export interface MessageEventStream {
  rateLimit: RateLimitState;
  /** Iterate once; a failure after `message_start` is thrown from here. */
  events: AsyncGenerator<AnthropicStreamEvent, void, undefined>;
  /** Gives the reservation back when the events will never be read; safe to call always. */
  abandon(): Promise<void>;
}

/** Anthropic's Messages API as a translation over the chat service (same limits, budget, cache). */
export interface MessagesService {
  /** One message from a model or `cascade:<name>`. */
  create(
    principal: SpendPrincipal,
    request: MessagesRequest,
    context: ChatCallContext,
  ): Promise<{ message: AnthropicMessage; completion: Completion; rateLimit: RateLimitState }>;
  /** Admits a stream (throws the refusal before any event) and returns Anthropic's events. */
  stream(
    principal: SpendPrincipal,
    request: MessagesRequest,
    context: ChatCallContext,
  ): Promise<MessageEventStream>;
  /** Prompt tokens of a conversation for its model (a cascade counts for its first tier). */
  countTokens(request: CountTokensRequest): { input_tokens: number };
}

/** Builds the Messages service over the chat service and the model and cascade registries. */
export function createMessagesService(deps: {
  chat: ChatService;
  registry: ModelRegistry;
  cascades: CascadeRegistry;
}): MessagesService {
  const messageId = (context: ChatCallContext) =>
    `msg_${(context.requestId ?? randomUUID()).replace(/[^A-Za-z0-9_-]/g, "")}`;

  function inputTokens(chat: ChatRequest): number {
    const model = deps.registry.get(deps.cascades.resolve(chat.model)?.tiers[0]?.model ?? chat.model);
    const provider = toProviderRequest(chat);
    return countChatTokens(
      { messages: provider.messages, tools: provider.tools, response_format: chat.response_format },
      model.family,
      model.upstream,
    );
  }

  return {
    async create(principal, request, context) {
      const chat = messagesToChatRequest(request);
      const { completion, rateLimit } = await deps.chat.complete(principal, chat, context);
      return { message: toAnthropicMessage(completion, messageId(context)), completion, rateLimit };
    },
    async stream(principal, request, context) {
      const chat = messagesToChatRequest(request);
      const encoder = createMessageStreamEncoder({
        id: messageId(context),
        model: request.model,
        inputTokens: inputTokens(chat),
      });
      // Anthropic clients cannot take text back either: cascades stream only the accepted answer.
      const stream = await deps.chat.stream(principal, chat, { context, mode: "hold" });
      async function* events(): AsyncGenerator<AnthropicStreamEvent, void, undefined> {
        yield* encoder.start();
        for await (const event of stream.events) yield* encoder.push(event);
      }
      return { rateLimit: stream.rateLimit, events: events(), abandon: () => stream.abandon() };
    },
    countTokens: (request) => ({ input_tokens: inputTokens(conversationToChatRequest(request)) }),
  };
}
