import type { Completion } from "../llm/completion.ts";
import type { TokenUsage } from "../models/cost.ts";
import type { FinishReason, ProviderToolCall } from "../providers/provider.ts";

/** Why an Anthropic message stopped. */
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

/** A content block of an answer: text or a tool call. */
export type AnthropicContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** Anthropic's usage object; Sluice does no prompt caching of its own, so the cache counts are 0. */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** An Anthropic `message` object as `POST /v1/messages` answers it. */
export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  content: AnthropicContentBlock[];
  model: string;
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/**
 * The Anthropic stop reason of a finish reason. A stop sequence is named only where the provider
 * said which one matched (Anthropic models); OpenAI's "stop" does not tell, so it reads as end_turn.
 */
export function stopReasonOf(finish: FinishReason, stopSequence?: string): AnthropicStopReason {
  if (stopSequence !== undefined) return "stop_sequence";
  if (finish === "length") return "max_tokens";
  if (finish === "tool_calls") return "tool_use";
  if (finish === "content_filter") return "refusal";
  return "end_turn";
}

/** Anthropic usage of token counts. */
export function anthropicUsage(usage: TokenUsage): AnthropicUsage {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

/**
 * A tool call's input: its arguments as a JSON object. Arguments a model wrote badly (cut off by
 * max_tokens, or not an object) become `{}`, as Anthropic's `input` is always an object.
 */
export function toolInputOf(argumentsText: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function blocksOf(content: string, toolCalls: ProviderToolCall[] | undefined): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = content.length > 0 ? [{ type: "text", text: content }] : [];
  for (const call of toolCalls ?? [])
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input: toolInputOf(call.arguments) });
  return blocks;
}

/** The Anthropic message of a completion; `model` is what the client asked for (a model or a cascade). */
export function toAnthropicMessage(completion: Completion, id: string): AnthropicMessage {
  const first = completion.choices[0];
  return {
    id,
    type: "message",
    role: "assistant",
    content: blocksOf(completion.content, first?.toolCalls),
    model: completion.requested,
    stop_reason: stopReasonOf(completion.finishReason, first?.stopSequence),
    stop_sequence: first?.stopSequence ?? null,
    usage: anthropicUsage(completion.usage),
  };
}

/** What Sluice stores of an answered batch request: an OpenAI-style chat completion. */
interface StoredCompletion {
  id?: unknown;
  choices?: {
    message?: {
      content?: unknown;
      tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    };
    finish_reason?: unknown;
  }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

const FINISH_REASONS: readonly string[] = ["stop", "length", "content_filter", "tool_calls"];

/** The Anthropic message of a stored chat completion (a batch's answer); `model` as the batch names it. */
export function messageOfChatCompletion(stored: unknown, model: string): AnthropicMessage {
  const completion = (stored ?? {}) as StoredCompletion;
  const choice = completion.choices?.[0];
  const content = typeof choice?.message?.content === "string" ? choice.message.content : "";
  const calls = (choice?.message?.tool_calls ?? []).map((c) => ({
    id: c.id,
    name: c.function.name,
    arguments: c.function.arguments,
  }));
  const finish = String(choice?.finish_reason);
  const count = (value: unknown) => (typeof value === "number" ? value : 0);
  return {
    id: `msg_${String(completion.id ?? "").replace(/[^A-Za-z0-9_-]/g, "")}`,
    type: "message",
    role: "assistant",
    content: blocksOf(content, calls),
    model,
    stop_reason: stopReasonOf(FINISH_REASONS.includes(finish) ? (finish as FinishReason) : "stop"),
    stop_sequence: null,
    usage: anthropicUsage({
      inputTokens: count(completion.usage?.prompt_tokens),
      outputTokens: count(completion.usage?.completion_tokens),
    }),
  };
}
