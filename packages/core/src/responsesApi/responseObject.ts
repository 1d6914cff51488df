import type { CascadeResult } from "../cascade/cascadeResult.ts";
import type { TokenUsage } from "../models/cost.ts";
import type { FinishReason, ProviderToolCall } from "../providers/provider.ts";
import type { ResponsesRequest } from "./responsesRequest.ts";

/** What a finished answer cost and who gave it, from a completion or a finished stream. */
export interface ResponseOutcome {
  costMicros: number;
  modelUsed: string;
  requested: string;
  cacheHit: boolean;
  cascade?: CascadeResult;
}

/** Builds the transport's extension object (Sluice's `sluice` field) from an outcome. */
export type ResponseExtension = (outcome: ResponseOutcome) => Record<string, unknown>;

/** `output_text` content of a message item. */
export interface OutputText {
  type: "output_text";
  text: string;
  annotations: never[];
  logprobs: never[];
}

/** An assistant message in `output`. */
export interface OutputMessageItem {
  id: string;
  type: "message";
  role: "assistant";
  status: "in_progress" | "completed" | "incomplete";
  content: OutputText[];
}

/** A function call in `output`. */
export interface FunctionCallItem {
  id: string;
  type: "function_call";
  call_id: string;
  name: string;
  arguments: string;
  status: "in_progress" | "completed" | "incomplete";
}

/** One item of a response's `output`. */
export type OutputItem = OutputMessageItem | FunctionCallItem;

/** The `usage` of a response. */
export function responseUsage(usage: TokenUsage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** A response's status and `incomplete_details` for how generation stopped. */
export function statusOf(finishReason: FinishReason) {
  if (finishReason === "length")
    return { status: "incomplete" as const, incomplete_details: { reason: "max_output_tokens" as const } };
  if (finishReason === "content_filter")
    return { status: "incomplete" as const, incomplete_details: { reason: "content_filter" as const } };
  return { status: "completed" as const, incomplete_details: null };
}

/** The request's settings, echoed in every response object as OpenAI does. */
export function requestEcho(request: ResponsesRequest) {
  return {
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: null },
    store: false,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: "text" } },
    tool_choice:
      request.tool_choice === undefined
        ? "auto"
        : typeof request.tool_choice === "string"
          ? request.tool_choice
          : { type: "function", name: request.tool_choice.name },
    tools: (request.tools ?? []).map((tool) => ({
      type: "function",
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    top_p: request.top_p ?? null,
    truncation: "disabled",
    ...(request.user === undefined ? {} : { user: request.user }),
  };
}

/** Ids of one response and its output items, derived from one random token. */
export interface ResponseIds {
  response: string;
  message(index: number): string;
  functionCall(index: number): string;
}

/** Fresh ids for one response (`resp_…`, `msg_…`, `fc_…`). */
export function responseIds(): ResponseIds {
  const token = crypto.randomUUID().replaceAll("-", "");
  return {
    response: `resp_${token}`,
    message: (index) => `msg_${token}_${index}`,
    functionCall: (index) => `fc_${token}_${index}`,
  };
}

/** The output items of a finished answer: its text as a message (when any), then its calls. */
export function outputItems(
  ids: ResponseIds,
  answer: { content: string; toolCalls?: ProviderToolCall[] | undefined; finishReason: FinishReason },
): OutputItem[] {
  const calls = answer.toolCalls ?? [];
  const status = statusOf(answer.finishReason).status;
  const items: OutputItem[] = [];
  if (answer.content !== "" || calls.length === 0) {
    items.push({
      id: ids.message(0),
      type: "message",
      role: "assistant",
      status,
      content: [{ type: "output_text", text: answer.content, annotations: [], logprobs: [] }],
    });
  }
  for (const call of calls) {
    items.push({
      id: ids.functionCall(items.length),
      type: "function_call",
      call_id: call.id,
      name: call.name,
      arguments: call.arguments,
      // A call cut by the token limit has arguments that may not parse: it is marked incomplete.
      status,
    });
  }
  return items;
}

/** `output_text`: the text of every message item, joined (what the SDK's helper reads). */
export function outputText(items: OutputItem[]): string {
  let text = "";
  for (const item of items) if (item.type === "message") for (const part of item.content) text += part.text;
  return text;
}

/** What every response object of one request shares. */
export interface ResponseBase {
  ids: ResponseIds;
  request: ResponsesRequest;
  /** Seconds since the epoch. */
  createdAt: number;
  extension: ResponseExtension;
}

/** A response object in any state: in progress (no usage yet), finished, or failed. */
export function responseObject(
  base: ResponseBase,
  state: {
    status: "in_progress" | "completed" | "incomplete" | "failed";
    output: OutputItem[];
    incomplete_details?: { reason: string } | null;
    error?: { code: string; message: string } | null;
    usage?: TokenUsage;
    completedAt?: number;
    sluice?: Record<string, unknown>;
  },
) {
  return {
    id: base.ids.response,
    object: "response",
    created_at: base.createdAt,
    status: state.status,
    ...(state.completedAt === undefined ? {} : { completed_at: state.completedAt }),
    error: state.error ?? null,
    incomplete_details: state.incomplete_details ?? null,
    model: base.request.model,
    output: state.output,
    output_text: outputText(state.output),
    usage: state.usage === undefined ? null : responseUsage(state.usage),
    ...requestEcho(base.request),
    ...(state.sluice === undefined ? {} : { sluice: state.sluice }),
  };
}

/** A response object as `POST /v1/responses` answers it. */
export type ResponseObject = ReturnType<typeof responseObject>;
