import type { PreparedChat } from "./chatCompletions.ts";

// The Responses wire format as the simulator reads it: only the stateless subset Sluice sends.
interface ResponsesBody {
  model?: unknown;
  input?: unknown;
  instructions?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  parallel_tool_calls?: unknown;
  text?: { format?: { type?: unknown; schema?: unknown } };
  max_output_tokens?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  metadata?: unknown;
  stream?: unknown;
}

type Item = {
  type?: unknown;
  role?: unknown;
  content?: unknown;
  call_id?: unknown;
  name?: unknown;
  arguments?: unknown;
  output?: unknown;
};

function chatPart(part: unknown): unknown {
  const p = (part ?? {}) as { type?: unknown; text?: unknown; image_url?: unknown; detail?: unknown };
  if (p.type === "input_image")
    return { type: "image_url", image_url: { url: p.image_url, detail: p.detail } };
  return { type: "text", text: typeof p.text === "string" ? p.text : "" };
}

// Consecutive function_call items are one assistant turn, as chat completions carry it.
function messagesOf(input: unknown): unknown[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  if (!Array.isArray(input)) return [];
  const messages: { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: unknown }[] = [];
  for (const raw of input as Item[]) {
    if (raw?.type === "function_call") {
      const call = {
        id: raw.call_id,
        type: "function",
        function: { name: raw.name, arguments: raw.arguments },
      };
      const last = messages.at(-1);
      if (last?.role === "assistant" && last.tool_calls) last.tool_calls.push(call);
      else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (raw?.type === "function_call_output") {
      messages.push({ role: "tool", content: String(raw.output ?? ""), tool_call_id: raw.call_id });
    } else {
      const content = Array.isArray(raw?.content) ? raw.content.map(chatPart) : raw?.content;
      messages.push({ role: String(raw?.role ?? "user"), content });
    }
  }
  return messages;
}

/** A Responses request as the chat body the simulator already plans answers for. */
export function chatBodyOf(raw: unknown): Record<string, unknown> {
  const body = (raw ?? {}) as ResponsesBody;
  const instructions =
    typeof body.instructions === "string" ? [{ role: "system", content: body.instructions }] : [];
  const tools = Array.isArray(body.tools)
    ? body.tools.map((t: { name?: unknown; parameters?: unknown }) => ({
        type: "function",
        function: { name: t?.name, parameters: t?.parameters },
      }))
    : undefined;
  const choice = body.tool_choice as { name?: unknown } | string | undefined;
  const format = body.text?.format;
  return {
    model: body.model,
    messages: [...instructions, ...messagesOf(body.input)],
    ...(tools ? { tools } : {}),
    ...(choice === undefined
      ? {}
      : {
          tool_choice:
            typeof choice === "object" ? { type: "function", function: { name: choice.name } } : choice,
        }),
    ...(format?.type === "json_object" ? { response_format: { type: "json_object" } } : {}),
    ...(format?.type === "json_schema"
      ? { response_format: { type: "json_schema", json_schema: { schema: format.schema } } }
      : {}),
    ...(body.max_output_tokens === undefined ? {} : { max_completion_tokens: body.max_output_tokens }),
  };
}

/** The `usage` of a planned answer, in Responses terms. */
export function usageOf(chat: PreparedChat) {
  const { promptTokens, completionTokens } = chat.plan;
  return {
    input_tokens: promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: promptTokens + completionTokens,
  };
}

/** Ids of one simulated response's output items. */
export interface SimResponseIds {
  response: string;
  message: string;
  call: string;
}

/** The finished output items of a planned answer: one message, or one function call. */
export function outputOf(chat: PreparedChat, ids: SimResponseIds) {
  const choice = chat.plan.choices[0];
  const status: "completed" | "incomplete" = choice?.finish === "length" ? "incomplete" : "completed";
  if (chat.toolCall) {
    const call = chat.toolCall;
    return [
      {
        id: ids.call,
        type: "function_call" as const,
        status,
        call_id: call.id,
        name: call.name,
        arguments: call.arguments,
      },
    ];
  }
  const text = { type: "output_text", text: choice?.text ?? "", annotations: [], logprobs: [] };
  return [{ id: ids.message, type: "message" as const, role: "assistant", status, content: [text] }];
}

/** A response object in a given state, echoing the request's settings as OpenAI does. */
export function responseOf(
  raw: unknown,
  chat: PreparedChat,
  ids: SimResponseIds,
  state: { status: string; output: unknown[]; usage: boolean },
) {
  const body = (raw ?? {}) as ResponsesBody;
  const cut = chat.plan.choices[0]?.finish === "length" && !chat.toolCall;
  const finished = state.status === "completed" || state.status === "incomplete";
  return {
    id: ids.response,
    object: "response",
    created_at: chat.created,
    status: state.status,
    error: null,
    incomplete_details: finished && cut ? { reason: "max_output_tokens" } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model: chat.model.id,
    output: state.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: body.top_p ?? 1,
    truncation: "disabled",
    usage: state.usage ? usageOf(chat) : null,
  };
}

/** Whether the request asked for a stream. */
export const wantsStream = (raw: unknown) => (raw as ResponsesBody | undefined)?.stream === true;
