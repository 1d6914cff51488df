import OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { TokenUsage } from "../models/cost.ts";
import type { ProviderBatchLimits } from "./batchApi.ts";
import { createJsonHttpClient } from "./jsonHttp.ts";
import { createOpenAiBatchApi } from "./openaiBatchApi.ts";
import { openAiContentOf } from "./openaiContentParts.ts";
import { createOpenAiResponsesApi } from "./openaiResponses.ts";
import { readChunk } from "./openaiStreamChunks.ts";
import type {
  CallOptions,
  ChatStreamEvent,
  FinishReason,
  Provider,
  ProviderChatRequest,
  ProviderChatResult,
  ProviderChoice,
  ProviderEmbeddingsRequest,
  ProviderEmbeddingsResult,
  ProviderMessage,
  ProviderToolCall,
  TokenLogprob,
} from "./provider.ts";
import {
  abortError,
  type FailureSite,
  malformedResponse,
  streamFailure,
  toSluiceError,
} from "./providerErrors.ts";

/** Settings of an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, Together, Groq, the simulator). */
export interface OpenAiProviderOptions {
  name: string;
  apiKey: string;
  baseUrl?: string | undefined;
  /** Per-request ceiling; Sluice's own resilience policy usually times out first. */
  timeoutMs?: number;
  /** Overrides OpenAI's Batch API limits (50,000 requests, 200 MB). */
  batchLimits?: Partial<ProviderBatchLimits>;
  /** Whether `/v1/responses` is served natively by this endpoint (default true); else by translation onto chat. */
  responsesApi?: boolean;
}

const FINISH_REASONS = new Set<FinishReason>(["stop", "length", "content_filter", "tool_calls"]);

function finishReasonOf(value: unknown): FinishReason {
  return FINISH_REASONS.has(value as FinishReason) ? (value as FinishReason) : "stop";
}

function messageParamOf(m: ProviderMessage): ChatCompletionMessageParam {
  if (m.role === "tool") return { role: "tool", content: m.content, tool_call_id: m.toolCallId ?? "" };
  if (m.role === "assistant" && m.toolCalls) {
    return {
      role: "assistant",
      content: m.content === "" ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      })),
    };
  }
  return { role: m.role, content: openAiContentOf(m) } as ChatCompletionMessageParam;
}

function toolParamsOf(request: ProviderChatRequest): Partial<ChatCompletionCreateParamsBase> {
  const choice = request.toolChoice;
  return {
    ...(request.tools === undefined
      ? {}
      : {
          tools: request.tools.map(({ name, description, parameters, strict }) => ({
            type: "function" as const,
            function: {
              name,
              ...(description === undefined ? {} : { description }),
              ...(parameters === undefined ? {} : { parameters }),
              ...(strict === undefined ? {} : { strict }),
            },
          })),
        }),
    ...(choice === undefined
      ? {}
      : {
          tool_choice:
            typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } },
        }),
    ...(request.parallelToolCalls === undefined ? {} : { parallel_tool_calls: request.parallelToolCalls }),
  };
}

function toolCallsOf(choice: ChatCompletion.Choice): ProviderToolCall[] | undefined {
  const calls = choice.message?.tool_calls;
  if (!Array.isArray(calls) || calls.length === 0) return undefined;
  return calls.flatMap((c) =>
    c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [],
  );
}

/** The chat-completion body the provider sends for a request (also each line of a batch). */
export function toParams(request: ProviderChatRequest): ChatCompletionCreateParamsBase {
  const format = request.responseFormat;
  return {
    model: request.model,
    messages: request.messages.map(messageParamOf),
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop === undefined ? {} : { stop: request.stop }),
    ...(request.presencePenalty === undefined ? {} : { presence_penalty: request.presencePenalty }),
    ...(request.frequencyPenalty === undefined ? {} : { frequency_penalty: request.frequencyPenalty }),
    ...(request.logprobs ? { logprobs: true, top_logprobs: request.topLogprobs ?? 0 } : {}),
    ...(request.n === undefined ? {} : { n: request.n }),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(request.reasoningEffort === undefined ? {} : { reasoning_effort: request.reasoningEffort }),
    ...(request.serviceTier === undefined ? {} : { service_tier: request.serviceTier }),
    ...(request.prediction === undefined ? {} : { prediction: request.prediction }),
    ...toolParamsOf(request),
    ...(format === undefined || format.type === "text"
      ? {}
      : format.type === "json_object"
        ? { response_format: { type: "json_object" } }
        : {
            response_format: {
              type: "json_schema",
              json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? true },
            },
          }),
  };
}

function logprobsOf(choice: ChatCompletion.Choice): TokenLogprob[] | undefined {
  const content = choice.logprobs?.content;
  if (!content) return undefined;
  return content.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    top: (t.top_logprobs ?? []).map((a) => ({ token: a.token, logprob: a.logprob })),
  }));
}

function usageOf(
  usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined,
): TokenUsage | undefined {
  if (!usage || typeof usage.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number")
    return undefined;
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
}

/** Reads a chat completion body (a response or a batch output line); throws when it is malformed. */
export function chatResultOf(response: ChatCompletion, site: FailureSite): ProviderChatResult {
  const usage = usageOf(response?.usage);
  if (!Array.isArray(response?.choices) || response.choices.length === 0 || !usage) {
    throw malformedResponse(site, "missing choices or usage");
  }
  const choices: ProviderChoice[] = response.choices.map((choice) => {
    const toolCalls = toolCallsOf(choice);
    if (typeof choice?.message?.content !== "string" && !toolCalls)
      throw malformedResponse(site, "a choice has no text content");
    const logprobs = logprobsOf(choice);
    return {
      content: choice.message.content ?? "",
      finishReason: finishReasonOf(choice.finish_reason),
      ...(logprobs ? { logprobs } : {}),
      ...(toolCalls ? { toolCalls } : {}),
    };
  });
  const first = choices[0]!;
  return {
    id: String(response.id),
    content: first.content,
    finishReason: first.finishReason,
    choices,
    usage,
    ...(first.logprobs ? { logprobs: first.logprobs } : {}),
    ...(first.toolCalls ? { toolCalls: first.toolCalls } : {}),
  };
}

const OPENAI_BASE_URL = "https://api.openai.com/v1";

/**
 * A provider speaking the OpenAI wire format: streams through the official `openai` SDK, plain
 * completions and embeddings through a lean kept-alive JSON client that raises the SDK's errors.
 */
export function createOpenAiProvider(options: OpenAiProviderOptions): Provider {
  const timeout = options.timeoutMs ?? 600_000;
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    maxRetries: 0,
    timeout,
  });
  const json = createJsonHttpClient({
    baseUrl: options.baseUrl ?? OPENAI_BASE_URL,
    headers: { authorization: `Bearer ${options.apiKey}`, "user-agent": "sluice" },
    timeoutMs: timeout,
  });
  const name = options.name;

  async function complete(
    request: ProviderChatRequest,
    { signal }: CallOptions,
  ): Promise<ProviderChatResult> {
    const site = { provider: name, model: request.model };
    let response: ChatCompletion;
    try {
      response = (await json.post("chat/completions", toParams(request), { signal })) as ChatCompletion;
    } catch (error) {
      throw toSluiceError(error, site);
    }
    return chatResultOf(response, site);
  }

  async function* stream(
    request: ProviderChatRequest,
    { signal }: CallOptions,
  ): AsyncIterable<ChatStreamEvent> {
    const site = { provider: name, model: request.model };
    const finishReasons: FinishReason[] = [];
    let usage: TokenUsage | undefined;
    let received = false;
    try {
      const chunks = await client.chat.completions.create(
        { ...toParams(request), stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      // The response has started: from here a broken connection is a cut stream.
      received = true;
      for await (const chunk of chunks) {
        usage = usageOf(chunk.usage) ?? usage;
        const reading = readChunk(chunk);
        yield* reading.events;
        for (const { choice, finishReason } of reading.finished) finishReasons[choice] = finishReason;
      }
    } catch (error) {
      throw streamFailure(error, site, signal, received);
    }
    // An aborted SDK stream may simply end: report the abort, not a truncated response.
    if (signal.aborted) throw abortError(signal);
    const choices = Math.max(1, request.n ?? 1);
    const finished = finishReasons.slice(0, choices).filter((r) => r !== undefined);
    const finishReason = finishReasons[0];
    if (!finishReason || finished.length < choices)
      throw malformedResponse(site, "the stream ended before the completion finished");
    yield {
      type: "done",
      finishReason,
      usage: usage ?? { inputTokens: 0, outputTokens: 0 },
      ...(choices > 1 ? { finishReasons: finished } : {}),
    };
  }

  async function embed(
    request: ProviderEmbeddingsRequest,
    { signal }: CallOptions,
  ): Promise<ProviderEmbeddingsResult> {
    const site = { provider: name, model: request.model };
    try {
      const response = (await json.post(
        "embeddings",
        {
          model: request.model,
          input: request.input,
          ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
        },
        { signal },
      )) as OpenAI.CreateEmbeddingResponse;
      if (!Array.isArray(response?.data) || response.data.length !== request.input.length) {
        throw malformedResponse(site, "the number of vectors does not match the input");
      }
      const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      return { vectors, usage: { inputTokens: response.usage?.prompt_tokens ?? 0, outputTokens: 0 } };
    } catch (error) {
      throw toSluiceError(error, site);
    }
  }

  const batches = createOpenAiBatchApi({
    name,
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    ...(options.batchLimits ? { limits: options.batchLimits } : {}),
  });
  const responses = options.responsesApi === false ? undefined : createOpenAiResponsesApi(client, name);
  return {
    name,
    family: "openai",
    complete,
    stream,
    embed,
    ...(responses ? { responses } : {}),
    batches,
    close: () => json.close(),
  };
}
