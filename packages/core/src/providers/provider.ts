import type { TokenUsage } from "../models/cost.ts";
import type { ProviderBatchApi } from "./batchApi.ts";

/** One function call a model asked for; `arguments` is the JSON text the model wrote. */
export interface ProviderToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Where an image comes from: a URL the provider fetches, or the bytes themselves. */
export type ProviderImageSource =
  | { kind: "url"; url: string }
  | { kind: "base64"; mediaType: string; data: string };

/** One part of a message's content beyond plain text (images, audio, files), in input order. */
export type ProviderContentPart =
  | { type: "text"; text: string }
  | {
      type: "image";
      source: ProviderImageSource;
      detail?: "auto" | "low" | "high";
      /** Pixel size when Sluice could read it from the bytes (data URLs); token costs use it. */
      size?: { width: number; height: number };
    }
  | { type: "audio"; format: "wav" | "mp3"; data: string }
  | { type: "file"; filename?: string; fileData?: string; fileId?: string };

/** One chat message as providers receive it. */
export interface ProviderMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  /** The message's text (text parts joined); what text-only code reads. */
  content: string;
  /**
   * Every part in order, present only when the message carries more than text (an image, audio,
   * a file); providers that take such parts send these instead of `content`.
   */
  parts?: ProviderContentPart[];
  /** Calls an assistant message made. */
  toolCalls?: ProviderToolCall[];
  /** The call a `tool` message answers. */
  toolCallId?: string;
}

/** A function the model may call. */
export interface ProviderTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

/** Whether the model may, must, or must not call tools, or which one it must call. */
export type ProviderToolChoice = "none" | "auto" | "required" | { name: string };

/** Structured-output request. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict?: boolean };

/** A provider-neutral chat request, addressed to the provider's own model name. */
export interface ProviderChatRequest {
  model: string;
  messages: ProviderMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: ResponseFormat;
  logprobs?: boolean;
  topLogprobs?: number;
  n?: number;
  seed?: number;
  tools?: ProviderTool[];
  toolChoice?: ProviderToolChoice;
  parallelToolCalls?: boolean;
  /** OpenAI reasoning models' effort (OpenAI-wire providers only). */
  reasoningEffort?: "minimal" | "low" | "medium" | "high";
  /** OpenAI's processing tier (OpenAI-wire providers only). */
  serviceTier?: "auto" | "default" | "flex" | "priority" | "scale";
  /** Text the answer is expected to mostly repeat, for faster generation (OpenAI-wire providers only). */
  prediction?: { type: "content"; content: string | { type: "text"; text: string }[] };
}

/** Why generation stopped. */
export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls";

/** Log probability of one generated token, with alternatives when asked for. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  top?: { token: string; logprob: number }[];
}

/** One generated choice. */
export interface ProviderChoice {
  content: string;
  finishReason: FinishReason;
  logprobs?: TokenLogprob[];
  toolCalls?: ProviderToolCall[];
  /** The stop sequence that ended the choice, where the provider says which (Anthropic does). */
  stopSequence?: string;
}

/** A finished chat completion. */
export interface ProviderChatResult {
  id: string;
  /** The first choice (most calls ask for one). */
  content: string;
  finishReason: FinishReason;
  choices: ProviderChoice[];
  usage: TokenUsage;
  logprobs?: TokenLogprob[];
  /** The first choice's tool calls. */
  toolCalls?: ProviderToolCall[];
}

/**
 * A piece of one streamed tool call: the first piece of call `index` carries its `id` and `name`,
 * later ones only more of its JSON `arguments` text.
 */
export interface ToolCallDelta {
  type: "tool_call";
  index: number;
  id?: string;
  name?: string;
  arguments: string;
  /** The choice the call belongs to when `n > 1` was asked; absent means choice 0. */
  choice?: number;
}

/** A piece of streamed text, with its tokens' logprobs when they were asked for. */
export interface TextDelta {
  type: "delta";
  text: string;
  logprobs?: TokenLogprob[];
  /** The choice the text belongs to when `n > 1` was asked; absent means choice 0. */
  choice?: number;
}

/** How a stream ended: the first choice's finish reason and the usage of all choices. */
export interface StreamEnd {
  type: "done";
  finishReason: FinishReason;
  usage: TokenUsage;
  /** Every choice's finish reason in order, when `n > 1` was asked. */
  finishReasons?: FinishReason[];
  /** The stop sequence that ended the first choice, where the provider says which. */
  stopSequence?: string;
}

/**
 * Events of a streamed completion, in order: text deltas and tool-call pieces (of several choices
 * interleaved when `n > 1`), then exactly one `done`.
 */
export type ChatStreamEvent = TextDelta | ToolCallDelta | StreamEnd;

/** Embeddings request. */
export interface ProviderEmbeddingsRequest {
  model: string;
  input: string[];
  dimensions?: number;
}

/** Embeddings result. */
export interface ProviderEmbeddingsResult {
  vectors: number[][];
  usage: TokenUsage;
}

/** A Responses API body (OpenAI's wire format, stateless), addressed to the provider's own model name. */
export type ProviderResponsesBody = { model: string } & Record<string, unknown>;

/** A Responses object or stream event as the provider sent it. */
export type ProviderResponsesObject = { type?: string } & Record<string, unknown>;

/** A finished Responses call: the provider's response object and its usage. */
export interface ProviderResponsesResult {
  response: ProviderResponsesObject;
  usage: TokenUsage;
}

/**
 * Events of a streamed Responses call: the provider's events in order, the last (`response.completed`
 * or `response.incomplete`) as `done` with its usage.
 */
export type ProviderResponsesEvent =
  | { type: "event"; event: ProviderResponsesObject & { type: string } }
  | { type: "done"; event: ProviderResponsesObject & { type: string }; usage: TokenUsage };

/** OpenAI's Responses API, served natively by providers that speak it. */
export interface ProviderResponsesApi {
  create(body: ProviderResponsesBody, options: CallOptions): Promise<ProviderResponsesResult>;
  stream(body: ProviderResponsesBody, options: CallOptions): AsyncIterable<ProviderResponsesEvent>;
}

/** Options of every provider call. */
export interface CallOptions {
  signal: AbortSignal;
}

/** One upstream LLM service behind one wire format. */
export interface Provider {
  /** Configured name (`openai`, `anthropic`, `simulator`, or an operator's). */
  readonly name: string;
  readonly family: "openai" | "anthropic";
  complete(request: ProviderChatRequest, options: CallOptions): Promise<ProviderChatResult>;
  stream(request: ProviderChatRequest, options: CallOptions): AsyncIterable<ChatStreamEvent>;
  embed(request: ProviderEmbeddingsRequest, options: CallOptions): Promise<ProviderEmbeddingsResult>;
  /** The Responses API (`/v1/responses`), when the provider serves it natively. */
  readonly responses?: ProviderResponsesApi;
  /** The provider's asynchronous Batch API, when it has one. */
  readonly batches?: ProviderBatchApi;
  /** Closes kept-alive connections. */
  close?(): Promise<void>;
}
