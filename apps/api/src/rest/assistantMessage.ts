import type { ProviderToolCall } from "@sluice/core";

/**
 * A choice's `message` in OpenAI's shape: `tool_calls` when the model called tools, with `content`
 * null when it wrote no text alongside them (as OpenAI answers).
 */
export function assistantMessage(choice: { content: string; toolCalls?: ProviderToolCall[] | undefined }) {
  const calls = choice.toolCalls;
  if (!calls || calls.length === 0) return { role: "assistant", content: choice.content, refusal: null };
  return {
    role: "assistant",
    content: choice.content === "" ? null : choice.content,
    refusal: null,
    tool_calls: calls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}
