import type { Message, MessageCreateParamsBase, MessageParam } from "@anthropic-ai/sdk/resources/messages";
import { SluiceError } from "../errors/sluiceError.ts";
import type { TokenUsage } from "../models/cost.ts";
import { createAnthropicBatchApi } from "./anthropicBatchApi.ts";
import { lazyAnthropicClient } from "./anthropicSdk.ts";
import type { ProviderBatchLimits } from "./batchApi.ts";
import type {
  CallOptions,
  ChatStreamEvent,
  FinishReason,
  Provider,
  ProviderChatRequest,
  ProviderChatResult,
} from "./provider.ts";
import {
  abortError,
  type FailureSite,
  malformedResponse,
  streamFailure,
  toSluiceError,
} from "./providerErrors.ts";

/** Settings of an Anthropic endpoint. */
export interface AnthropicProviderOptions {
  name: string;
  apiKey: string;
  baseUrl?: string | undefined;
  /** Used when a request does not set `maxTokens` (the Messages API requires one). */
  defaultMaxTokens?: number;
  timeoutMs?: number;
  /** Overrides Anthropic's Message Batches limits (100,000 requests, 256 MB). */
  batchLimits?: Partial<ProviderBatchLimits>;
}

function finishReasonOf(stopReason: string | null | undefined): FinishReason {
  if (stopReason === "max_tokens") return "length";
  if (stopReason === "refusal") return "content_filter";
  if (stopReason === "tool_use") return "tool_calls";
  return "stop";
}

// The Messages API has no response_format: structured output is asked for in the system prompt.
function formatInstruction(request: ProviderChatRequest): string | undefined {
  const format = request.responseFormat;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return "Respond with a single JSON object and nothing else.";
  return `Respond with a single JSON object and nothing else, valid against this JSON Schema:\n${JSON.stringify(format.schema)}`;
}

/** The Messages API body the provider sends for a request (also each request of a batch). */
export function toParams(request: ProviderChatRequest, defaultMaxTokens: number): MessageCreateParamsBase {
  // Tool use needs translating to Anthropic's tool_use/tool_result blocks; refusing beats dropping it.
  if (request.tools !== undefined || request.messages.some((m) => m.toolCalls !== undefined)) {
    throw new SluiceError("validation_error", `tools are not supported for model ${request.model} yet`);
  }
  const system = request.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => m.content);
  const instruction = formatInstruction(request);
  if (instruction) system.push(instruction);
  // Anthropic wants alternating user/assistant turns: merge consecutive turns of the same role.
  const messages: MessageParam[] = [];
  for (const m of request.messages) {
    if (m.role === "system" || m.role === "developer") continue;
    const role = m.role === "assistant" ? "assistant" : "user";
    const last = messages.at(-1);
    if (last && last.role === role) last.content = `${String(last.content)}\n\n${m.content}`;
    else messages.push({ role, content: m.content });
  }
  if (messages.length === 0) {
    throw new SluiceError("validation_error", "Anthropic models need at least one user or assistant message");
  }
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
    // Anthropic's temperature range is 0–1; OpenAI-style requests may send up to 2.
    ...(request.temperature === undefined ? {} : { temperature: Math.min(1, request.temperature) }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop === undefined ? {} : { stop_sequences: request.stop }),
  };
}

/** Reads a message (a response or a batch result); throws when it is malformed. */
export function messageResultOf(message: Message, site: FailureSite): ProviderChatResult {
  if (!Array.isArray(message?.content) || typeof message.usage?.input_tokens !== "number") {
    throw malformedResponse(site, "missing content or usage");
  }
  const content = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
  const finishReason = finishReasonOf(message.stop_reason);
  const usage = { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens };
  return { id: message.id, content, finishReason, choices: [{ content, finishReason }], usage };
}

/** A provider speaking Anthropic's Messages API through the official `@anthropic-ai/sdk`. */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  const clientOf = lazyAnthropicClient(options);
  const name = options.name;
  const defaultMaxTokens = options.defaultMaxTokens ?? 4096;

  async function complete(
    request: ProviderChatRequest,
    { signal }: CallOptions,
  ): Promise<ProviderChatResult> {
    const site = { provider: name, model: request.model };
    let message: Message;
    try {
      const client = await clientOf();
      message = (await client.messages.create(
        { ...toParams(request, defaultMaxTokens), stream: false },
        { signal },
      )) as Message;
    } catch (error) {
      throw toSluiceError(error, site);
    }
    return messageResultOf(message, site);
  }

  async function* stream(
    request: ProviderChatRequest,
    { signal }: CallOptions,
  ): AsyncIterable<ChatStreamEvent> {
    const site = { provider: name, model: request.model };
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    let finishReason: FinishReason = "stop";
    let stopped = false;
    let received = false;
    try {
      const client = await clientOf();
      const events = await client.messages.create(
        { ...toParams(request, defaultMaxTokens), stream: true },
        { signal },
      );
      // The response has started: from here a broken connection is a cut stream.
      received = true;
      for await (const event of events) {
        if (event.type === "message_start") usage.inputTokens = event.message.usage.input_tokens;
        else if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
          if (event.delta.text) yield { type: "delta", text: event.delta.text };
        } else if (event.type === "message_delta") {
          usage.outputTokens = event.usage.output_tokens;
          finishReason = finishReasonOf(event.delta.stop_reason);
        } else if (event.type === "message_stop") stopped = true;
      }
    } catch (error) {
      throw streamFailure(error, site, signal, received);
    }
    // An aborted SDK stream may simply end: report the abort, not a truncated response.
    if (signal.aborted) throw abortError(signal);
    if (!stopped) throw malformedResponse(site, "the stream ended before message_stop");
    yield { type: "done", finishReason, usage };
  }

  async function embed(): Promise<never> {
    throw new SluiceError(
      "validation_error",
      `${name} does not offer embeddings; use an OpenAI-compatible model`,
    );
  }

  const batches = createAnthropicBatchApi({
    name,
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    defaultMaxTokens,
    ...(options.batchLimits ? { limits: options.batchLimits } : {}),
  });
  return { name, family: "anthropic", complete, stream, embed, batches };
}
