import type { ChatCompletionChunk, ChatCompletionTokenLogprob } from "openai/resources/chat/completions";
import type { ChatStreamEvent, FinishReason, TokenLogprob } from "./provider.ts";

/** What one streamed chunk says: its events, and which choices it finished, with why. */
export interface ChunkReading {
  events: ChatStreamEvent[];
  finished: { choice: number; finishReason: FinishReason }[];
}

const FINISH_REASONS = new Set<FinishReason>(["stop", "length", "content_filter", "tool_calls"]);

/** Token logprobs in Sluice's shape, from OpenAI's `logprobs.content` (of a chunk or a choice). */
export function tokenLogprobsOf(
  content: readonly ChatCompletionTokenLogprob[] | null | undefined,
): TokenLogprob[] | undefined {
  if (!Array.isArray(content) || content.length === 0) return undefined;
  return content.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    top: (t.top_logprobs ?? []).map((a: { token: string; logprob: number }) => ({
      token: a.token,
      logprob: a.logprob,
    })),
  }));
}

// Choice 0 stays unmarked, so single-choice streams read exactly as before `n` was streamed.
const choiceField = (index: number) => (index === 0 ? {} : { choice: index });

function toolCallEvents(
  calls: ChatCompletionChunk.Choice.Delta["tool_calls"],
  choice: number,
): ChatStreamEvent[] {
  if (!Array.isArray(calls)) return [];
  return calls.map((call, position) => ({
    type: "tool_call" as const,
    // OpenAI always numbers calls; some compatible servers send each whole call without an index.
    index: typeof call.index === "number" ? call.index : position,
    ...(typeof call.id === "string" && call.id !== "" ? { id: call.id } : {}),
    ...(typeof call.function?.name === "string" && call.function.name !== ""
      ? { name: call.function.name }
      : {}),
    arguments: typeof call.function?.arguments === "string" ? call.function.arguments : "",
    ...choiceField(choice),
  }));
}

/**
 * Reads one chunk of an OpenAI-wire stream: each choice's text (with the tokens' logprobs when
 * they were asked for), its tool-call pieces in order, and the choices it finishes.
 */
export function readChunk(chunk: ChatCompletionChunk): ChunkReading {
  const reading: ChunkReading = { events: [], finished: [] };
  for (const [position, choice] of (chunk.choices ?? []).entries()) {
    const index = typeof choice.index === "number" ? choice.index : position;
    const text = typeof choice.delta?.content === "string" ? choice.delta.content : "";
    const logprobs = tokenLogprobsOf(choice.logprobs?.content);
    if (text.length > 0 || logprobs) {
      reading.events.push({ type: "delta", text, ...(logprobs ? { logprobs } : {}), ...choiceField(index) });
    }
    reading.events.push(...toolCallEvents(choice.delta?.tool_calls, index));
    const reason = choice.finish_reason;
    if (!reason) continue;
    // A reason Sluice does not know (a provider's own) still means the answer is complete.
    const finishReason = FINISH_REASONS.has(reason as FinishReason) ? (reason as FinishReason) : "stop";
    reading.finished.push({ choice: index, finishReason });
  }
  return reading;
}
