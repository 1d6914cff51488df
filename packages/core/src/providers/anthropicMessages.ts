import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import type { TokenUsage } from "../models/cost.ts";
import type {
  ChatStreamEvent,
  FinishReason,
  ProviderChatResult,
  ProviderToolCall,
  ToolCallDelta,
} from "./provider.ts";
import { type FailureSite, malformedResponse } from "./providerErrors.ts";

/** The neutral finish reason of an Anthropic `stop_reason`. */
export function finishReasonOf(stopReason: string | null | undefined): FinishReason {
  if (stopReason === "max_tokens") return "length";
  if (stopReason === "refusal") return "content_filter";
  if (stopReason === "tool_use") return "tool_calls";
  return "stop";
}

/** `{ stopSequence }` when a stop sequence ended the message, else nothing. */
function stopSequenceOf(stopReason: unknown, stopSequence: unknown): { stopSequence?: string } {
  return stopReason === "stop_sequence" && typeof stopSequence === "string" ? { stopSequence } : {};
}

/** Reads a message (a response or a batch result); throws when it is malformed. */
export function messageResultOf(message: Message, site: FailureSite): ProviderChatResult {
  if (!Array.isArray(message?.content) || typeof message.usage?.input_tokens !== "number") {
    throw malformedResponse(site, "missing content or usage");
  }
  let content = "";
  const toolCalls: ProviderToolCall[] = [];
  for (const block of message.content) {
    if (block.type === "text") content += block.text;
    else if (block.type === "tool_use")
      toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
  }
  const finishReason = finishReasonOf(message.stop_reason);
  const usage = { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens };
  const calls = toolCalls.length > 0 ? { toolCalls } : {};
  const stop = stopSequenceOf(message.stop_reason, message.stop_sequence);
  return {
    id: message.id,
    content,
    finishReason,
    choices: [{ content, finishReason, ...calls, ...stop }],
    usage,
    ...calls,
  };
}

/** Turns the events of one streamed message into neutral stream events, keeping usage and the end. */
export interface MessageStreamReader {
  /** The neutral events one wire event stands for (none for pings, starts and stops of text). */
  read(event: RawMessageStreamEvent): ChatStreamEvent[];
  /** Whether `message_stop` arrived (a stream without it was cut). */
  readonly stopped: boolean;
  /** The closing event, once the stream has stopped. */
  done(): ChatStreamEvent;
}

/**
 * A reader for one streamed message. Tool calls are numbered in the order their `tool_use` blocks
 * start (Anthropic numbers all blocks, text included); a call whose input streamed no text gets
 * "{}", as Anthropic streams nothing for empty input while OpenAI-shaped callers parse the text.
 */
export function createMessageStreamReader(): MessageStreamReader {
  const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  let finishReason: FinishReason = "stop";
  let stop: { stopSequence?: string } = {};
  let stopped = false;
  // Block index → tool-call index and whether any argument text streamed for it.
  const calls = new Map<number, { index: number; streamed: boolean }>();

  function read(event: RawMessageStreamEvent): ChatStreamEvent[] {
    switch (event.type) {
      case "message_start":
        usage.inputTokens = event.message.usage.input_tokens;
        return [];
      case "content_block_start": {
        const block = event.content_block;
        if (block.type !== "tool_use") return [];
        const index = calls.size;
        calls.set(event.index, { index, streamed: false });
        return [{ type: "tool_call", index, id: block.id, name: block.name, arguments: "" }];
      }
      case "content_block_delta": {
        const delta = event.delta;
        if (delta.type === "text_delta") return delta.text ? [{ type: "delta", text: delta.text }] : [];
        const call = calls.get(event.index);
        if (delta.type !== "input_json_delta" || !call || delta.partial_json === "") return [];
        call.streamed = true;
        return [{ type: "tool_call", index: call.index, arguments: delta.partial_json }];
      }
      case "content_block_stop": {
        const call = calls.get(event.index);
        if (!call || call.streamed) return [];
        return [{ type: "tool_call", index: call.index, arguments: "{}" } satisfies ToolCallDelta];
      }
      case "message_delta":
        usage.outputTokens = event.usage.output_tokens;
        finishReason = finishReasonOf(event.delta.stop_reason);
        stop = stopSequenceOf(event.delta.stop_reason, event.delta.stop_sequence);
        return [];
      case "message_stop":
        stopped = true;
        return [];
      default:
        return [];
    }
  }

  return {
    read,
    get stopped() {
      return stopped;
    },
    done: () => ({ type: "done", finishReason, usage: { ...usage }, ...stop }),
  };
}
