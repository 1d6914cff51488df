import type { ChatMessage } from "../schemas/chatMessage.ts";
import { type ChatRequest, type ChatRequestInput, chatRequestSchema } from "../schemas/chatRequest.ts";
import type { ContentPart } from "../schemas/contentParts.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { partText, type ResponsesContentPart, type ResponsesInputItem } from "./responsesInput.ts";
import type { ResponsesRequest } from "./responsesRequest.ts";

type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;

function chatPart(part: ResponsesContentPart): ContentPart {
  if (part.type === "input_image") {
    const detail = part.detail === undefined ? {} : { detail: part.detail };
    return { type: "image_url", image_url: { url: part.image_url ?? "", ...detail } };
  }
  if (part.type === "input_file") {
    const filename = part.filename === undefined ? {} : { filename: part.filename };
    return { type: "file", file: { file_data: part.file_data ?? "", ...filename } };
  }
  return { type: "text", text: partText(part) };
}

function chatContent(content: string | ResponsesContentPart[]): string | ContentPart[] {
  return typeof content === "string" ? content : content.map(chatPart);
}

/**
 * Input items as chat messages. Consecutive `function_call` items (and the assistant message right
 * before them) become one assistant message with `tool_calls`, as chat completions carry a turn.
 */
function messagesOf(items: ResponsesInputItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let assistant: AssistantMessage | undefined;
  for (const item of items) {
    if (item.type === "function_call") {
      const call = {
        id: item.call_id,
        type: "function" as const,
        function: { name: item.name, arguments: item.arguments },
      };
      if (assistant) {
        assistant.tool_calls = [...(assistant.tool_calls ?? []), call];
      } else {
        assistant = { role: "assistant", content: null, tool_calls: [call] };
        messages.push(assistant);
      }
      continue;
    }
    if (item.type === "function_call_output") {
      const output = typeof item.output === "string" ? item.output : item.output.map((p) => p.text).join("");
      messages.push({ role: "tool", tool_call_id: item.call_id, content: output });
      assistant = undefined;
      continue;
    }
    const content = chatContent(item.content);
    if (item.role === "assistant") {
      assistant = { role: "assistant", content };
      messages.push(assistant);
    } else {
      messages.push({ role: item.role, content });
      assistant = undefined;
    }
  }
  return messages;
}

function responseFormatOf(format: NonNullable<ResponsesRequest["text"]>["format"]) {
  if (format === undefined || format.type !== "json_schema") return format;
  return {
    type: "json_schema" as const,
    json_schema: {
      name: format.name,
      schema: format.schema,
      ...(format.description === undefined ? {} : { description: format.description }),
      ...(format.strict == null ? {} : { strict: format.strict }),
    },
  };
}

function toolsOf(request: ResponsesRequest): ChatRequestInput["tools"] {
  return request.tools?.map((tool) => ({
    type: "function" as const,
    function: {
      name: tool.name,
      ...(tool.description == null ? {} : { description: tool.description }),
      ...(tool.parameters == null ? {} : { parameters: tool.parameters }),
      ...(tool.strict == null ? {} : { strict: tool.strict }),
    },
  }));
}

/**
 * The chat request a Responses request means: `instructions` as the first system message, input
 * items as messages, `max_output_tokens` as `max_completion_tokens`, `text.format` as
 * `response_format`. The result passes the chat rules too (tools on streams and cascades, ...).
 */
export function toChatRequest(request: ResponsesRequest): ChatRequest {
  const input: ChatMessage[] =
    typeof request.input === "string"
      ? [{ role: "user", content: request.input }]
      : messagesOf(request.input);
  const choice = request.tool_choice;
  const responseFormat = responseFormatOf(request.text?.format);
  const chat: ChatRequestInput = {
    model: request.model,
    messages:
      request.instructions === undefined
        ? input
        : [{ role: "system", content: request.instructions }, ...input],
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === undefined ? {} : { top_p: request.top_p }),
    ...(request.max_output_tokens === undefined ? {} : { max_completion_tokens: request.max_output_tokens }),
    ...(request.stream === undefined ? {} : { stream: request.stream }),
    ...(responseFormat === undefined ? {} : { response_format: responseFormat }),
    ...(request.tools === undefined ? {} : { tools: toolsOf(request) }),
    ...(choice === undefined
      ? {}
      : {
          tool_choice:
            typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } },
        }),
    ...(request.parallel_tool_calls === undefined
      ? {}
      : { parallel_tool_calls: request.parallel_tool_calls }),
    ...(request.reasoning?.effort == null ? {} : { reasoning_effort: request.reasoning.effort }),
    ...(request.user === undefined ? {} : { user: request.user }),
    ...(request.metadata === undefined ? {} : { metadata: request.metadata }),
  };
  return parseOrThrow(chatRequestSchema, chat, "responses request");
}
