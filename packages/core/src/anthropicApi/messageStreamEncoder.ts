import type { GuardedStreamEvent } from "../chat/guardedStream.ts";
import { anthropicUsage, stopReasonOf } from "./messageResponse.ts";

/** One server-sent event of Anthropic's stream: its `event:` name and its `data:` object. */
export interface AnthropicStreamEvent {
  event: string;
  data: { type: string } & Record<string, unknown>;
}

const sse = (type: string, fields: Record<string, unknown> = {}): AnthropicStreamEvent => ({
  event: type,
  data: { type, ...fields },
});

/** Turns guarded stream events into Anthropic's stream, block by block. */
export interface MessageStreamEncoder {
  /** `message_start`, sent before the first model event. */
  start(): AnthropicStreamEvent[];
  /** The events one guarded stream event becomes (none for cascade bookkeeping). */
  push(event: GuardedStreamEvent): AnthropicStreamEvent[];
}

/**
 * An encoder for one message. `inputTokens` is the estimate `message_start` carries; the real
 * count follows in `message_delta`, which SDKs read as the final usage.
 */
export function createMessageStreamEncoder(message: {
  id: string;
  model: string;
  inputTokens: number;
}): MessageStreamEncoder {
  let open: number | undefined;
  let openKind: "text" | "tool_use" | undefined;
  let blocks = 0;
  let pinged = false;
  // Tool calls arrive by their own index; each becomes a block at the next free block index.
  const toolBlocks = new Map<number, number>();

  function close(): AnthropicStreamEvent[] {
    if (open === undefined) return [];
    const index = open;
    open = undefined;
    openKind = undefined;
    return [sse("content_block_stop", { index })];
  }

  function begin(block: Record<string, unknown>, kind: "text" | "tool_use"): AnthropicStreamEvent[] {
    const out = close();
    open = blocks++;
    openKind = kind;
    out.push(sse("content_block_start", { index: open, content_block: block }));
    // Anthropic pings once the first block is open; clients ignore it.
    if (!pinged) {
      pinged = true;
      out.push(sse("ping"));
    }
    return out;
  }

  function text(delta: string): AnthropicStreamEvent[] {
    if (delta.length === 0) return [];
    const out = openKind === "text" ? [] : begin({ type: "text", text: "" }, "text");
    out.push(sse("content_block_delta", { index: open, delta: { type: "text_delta", text: delta } }));
    return out;
  }

  function toolCall(event: Extract<GuardedStreamEvent, { type: "tool_call" }>): AnthropicStreamEvent[] {
    let out: AnthropicStreamEvent[] = [];
    let index = toolBlocks.get(event.index);
    if (index === undefined) {
      out = begin(
        { type: "tool_use", id: event.id ?? `toolu_${event.index}`, name: event.name ?? "", input: {} },
        "tool_use",
      );
      index = open as number;
      toolBlocks.set(event.index, index);
    }
    if (event.arguments.length > 0)
      out.push(
        sse("content_block_delta", {
          index,
          delta: { type: "input_json_delta", partial_json: event.arguments },
        }),
      );
    return out;
  }

  return {
    start: () => [
      sse("message_start", {
        message: {
          id: message.id,
          type: "message",
          role: "assistant",
          content: [],
          model: message.model,
          stop_reason: null,
          stop_sequence: null,
          usage: anthropicUsage({ inputTokens: message.inputTokens, outputTokens: 0 }),
        },
      }),
    ],
    push(event) {
      if (event.type === "delta") return text(event.text);
      if (event.type === "tool_call") return toolCall(event);
      if (event.type !== "done") return [];
      const { finish } = event;
      const out = close();
      if (!pinged) out.push(sse("ping"));
      out.push(
        sse("message_delta", {
          delta: {
            stop_reason: stopReasonOf(finish.finishReason, finish.stopSequence),
            stop_sequence: finish.stopSequence ?? null,
          },
          usage: {
            input_tokens: finish.usage.inputTokens,
            output_tokens: finish.usage.outputTokens,
          },
        }),
        sse("message_stop"),
      );
      return out;
    },
  };
}
