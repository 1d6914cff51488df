import { validatorsFor } from "../cascade/cascadeEngine.ts";
import type { CascadeSpec } from "../cascade/cascadeSpec.ts";
import { type Verdict, validateDraft } from "../cascade/validators.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import type { ProviderChatRequest, ProviderChatResult, ProviderToolCall } from "../providers/provider.ts";
import type { ChatRequest } from "../schemas/chatRequest.ts";

/** The parts of a stored request body that bind its answer (see `KnownBatchRequest.contract`). */
export type BatchRequestContract = Record<string, unknown>;

/**
 * The request as far as the draft checks read it: its tools, tool choice and response format.
 * Bodies were validated when added, so the stored parts are read as a chat request's.
 */
function contractRequest(model: string, contract: BatchRequestContract): ProviderChatRequest {
  const present = Object.fromEntries(
    Object.entries(contract).filter(([, v]) => v !== null && v !== undefined),
  );
  return toProviderRequest({ ...present, model, messages: [] } as unknown as ChatRequest);
}

/**
 * Checks a cheap tier's answer as a synchronous cascade would: heuristics, confidence, and what the
 * request demands (valid calls of its tools, JSON matching its `json_schema`).
 */
export function reviewBatchDraft(
  cascade: CascadeSpec,
  model: string,
  result: ProviderChatResult,
  contract: BatchRequestContract,
  signal: AbortSignal,
): Promise<Verdict> {
  return validateDraft(
    {
      model,
      content: result.content,
      finishReason: result.finishReason,
      ...(result.logprobs ? { logprobs: result.logprobs } : {}),
      ...(result.toolCalls ? { toolCalls: result.toolCalls } : {}),
    },
    validatorsFor({ cascade, request: contractRequest(model, contract) }),
    { signal },
  );
}

/** A choice's `message`, with its tool calls in OpenAI's shape (content null when it only calls tools). */
function messageOf(choice: { content: string; toolCalls?: ProviderToolCall[] | undefined }) {
  const calls = choice.toolCalls ?? [];
  if (calls.length === 0) return { role: "assistant", content: choice.content, refusal: null };
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

/** The answer of a request, as an OpenAI-style chat completion. */
export function completionObject(model: string, result: ProviderChatResult) {
  return {
    id: result.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: result.choices.map((c, index) => ({
      index,
      message: messageOf(c),
      logprobs: c.logprobs ? { content: c.logprobs } : null,
      finish_reason: c.finishReason,
    })),
    usage: {
      prompt_tokens: result.usage.inputTokens,
      completion_tokens: result.usage.outputTokens,
      total_tokens: result.usage.inputTokens + result.usage.outputTokens,
    },
  };
}
