import { providerPartOf } from "../llm/chatRequestMapping.ts";
import type { ModelFamily } from "../models/modelSpec.ts";
import type { ProviderContentPart } from "../providers/provider.ts";
import { type MessageContent, messageText } from "../schemas/chatMessage.ts";
import type { ChatResponseFormat } from "../schemas/chatRequest.ts";
import { isTextPart } from "../schemas/contentParts.ts";
import { encodingForModel, type TextTokenCounter, tokenCounter } from "./encodings.ts";
import { contentPartTokens } from "./partTokens.ts";

// Chat framing as OpenAI counts it (the "How to count tokens with tiktoken" cookbook, valid for
// gpt-3.5-turbo-0613 onwards, gpt-4, gpt-4o and later): every message costs 3 tokens of framing
// (<|start|>, <|message|>, <|end|>) plus its role and content, a `name` costs its tokens plus 1, and
// every reply is primed with <|start|>assistant<|message|>, 3 more tokens.
/** Framing tokens around every chat message. */
export const TOKENS_PER_MESSAGE = 3;
/** Extra token when a message carries a `name`. */
export const TOKENS_PER_NAME = 1;
/** Tokens that prime the assistant's reply. */
export const REPLY_PRIMING_TOKENS = 3;

// Anthropic publishes no local tokenizer (its exact count is a network call to count_tokens). Its
// tokenizer splits the same text into more tokens than o200k: published comparisons (Claude 3.5
// Sonnet against GPT-4o) measured about +16% for English prose, +21% for maths and +30% for code.
// Counts are o200k times 1.2, rounded up: close for prose, a little over for mixed text, under only
// for code-heavy prompts, where the provider's own refusal remains the backstop.
/** Anthropic estimate as a percentage of the o200k count. */
export const ANTHROPIC_TOKEN_PERCENT = 120;

/** A message as token counting sees it: validated requests and provider messages both fit. */
export interface CountableMessage {
  role: string;
  content?: MessageContent | null | undefined;
  /** Parts of a provider message (images, audio, files beside the text in `content`). */
  parts?: readonly ProviderContentPart[] | undefined;
  name?: string | undefined;
  /** Calls of a provider message. */
  toolCalls?: readonly { name: string; arguments: string }[] | undefined;
  /** Calls of a validated request's message. */
  tool_calls?: readonly { function: { name: string; arguments: string } }[] | undefined;
}

/** A chat as token counting sees it. */
export interface CountableChat {
  /** Selects the OpenAI encoding when no explicit model is given. */
  model?: string | undefined;
  messages: readonly CountableMessage[];
  response_format?: ChatResponseFormat | undefined;
  /** Declared tools, in either the request's or the provider's shape: their JSON is counted. */
  tools?: readonly object[] | undefined;
}

function counterFor(family: ModelFamily, model: string): TextTokenCounter {
  return tokenCounter(family === "openai" ? encodingForModel(model) : "o200k_base");
}

function scaled(count: number, family: ModelFamily): number {
  // Integer arithmetic: 10 * 1.2 is 12.000000000000002 in floating point and would round up to 13.
  return family === "anthropic" ? Math.ceil((count * ANTHROPIC_TOKEN_PERCENT) / 100) : count;
}

/**
 * Tokens of a text for a model family. `model` (the upstream name) picks OpenAI's encoding: cl100k
 * for gpt-4/gpt-3.5, o200k otherwise. Anthropic counts are estimates (see ANTHROPIC_TOKEN_PERCENT).
 */
export function countTextTokens(text: string, family: ModelFamily, model = ""): number {
  return scaled(counterFor(family, model)(text), family);
}

/**
 * Prompt tokens of a chat (a request or just its messages): content plus per-message framing plus
 * reply priming, as OpenAI bills them. A `json_schema` response format adds its schema's tokens, an
 * estimate since OpenAI does not document how it injects it. Images, audio and files add their own
 * costs (see contentPartTokens; the Anthropic text estimate's margin does not apply to them).
 * `model` defaults to the request's.
 */
export function countChatTokens(
  chat: CountableChat | readonly CountableMessage[],
  family: ModelFamily,
  model?: string,
): number {
  const request: CountableChat = isMessageList(chat) ? { messages: chat } : chat;
  const count = counterFor(family, model ?? request.model ?? "");
  let total = remembered(request.messages, count, () => countMessages(request.messages, count));
  const tools = request.tools;
  // OpenAI does not document how it injects tools; their JSON is a close estimate.
  if (tools !== undefined && tools.length > 0)
    total += remembered(tools, count, () => countDefinition(JSON.stringify(tools), count));
  const format = request.response_format;
  if (format?.type === "json_schema")
    total += countDefinition(JSON.stringify(format.json_schema.schema), count);
  return scaled(total, family) + mediaTokens(request.messages, family, model ?? request.model ?? "");
}

function mediaTokens(messages: readonly CountableMessage[], family: ModelFamily, model: string): number {
  let total = 0;
  for (const message of messages) {
    const content = message.content;
    if (message.parts !== undefined) {
      for (const part of message.parts) total += contentPartTokens(part, family, model);
    } else if (Array.isArray(content)) {
      for (const part of content)
        if (!isTextPart(part)) total += contentPartTokens(providerPartOf(part), family, model);
    }
  }
  return total;
}

function countMessages(messages: readonly CountableMessage[], count: TextTokenCounter): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + count(message.role) + count(messageText(message));
    if (message.name !== undefined) total += count(message.name) + TOKENS_PER_NAME;
    for (const call of message.toolCalls ?? []) total += count(call.name) + count(call.arguments);
    for (const call of message.tool_calls ?? [])
      total += count(call.function.name) + count(call.function.arguments);
  }
  return total;
}

// A request's messages and tools are counted by the rate limiter, the budget and the context check,
// and are not mutated once validated: counts are remembered per list and encoding.
const counted = new WeakMap<readonly object[], Map<TextTokenCounter, number>>();

function remembered(list: readonly object[], count: TextTokenCounter, compute: () => number): number {
  const memo = memoFor(list);
  const known = memo.get(count);
  if (known !== undefined) return known;
  const total = compute();
  memo.set(count, total);
  return total;
}

// Tool definitions and response schemas repeat from request to request (an agent sends the same
// tools every turn): their counts are kept by JSON text across requests, a bounded few per encoding.
const definitionCounts = new WeakMap<TextTokenCounter, Map<string, number>>();
const MAX_DEFINITIONS = 256;

function countDefinition(json: string, count: TextTokenCounter): number {
  let known = definitionCounts.get(count);
  if (!known) {
    known = new Map();
    definitionCounts.set(count, known);
  }
  const hit = known.get(json);
  if (hit !== undefined) return hit;
  const total = count(json);
  if (known.size >= MAX_DEFINITIONS) known.delete(known.keys().next().value as string);
  known.set(json, total);
  return total;
}

function memoFor(messages: readonly object[]): Map<TextTokenCounter, number> {
  let memo = counted.get(messages);
  if (!memo) {
    memo = new Map();
    counted.set(messages, memo);
  }
  return memo;
}

function isMessageList(
  chat: CountableChat | readonly CountableMessage[],
): chat is readonly CountableMessage[] {
  return Array.isArray(chat);
}
