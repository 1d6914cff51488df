import type { ChatMessage } from "../schemas/chatMessage.ts";
import { type ChatRequest, type ChatRequestInput, chatRequestSchema } from "../schemas/chatRequest.ts";
import type { ContentPart } from "../schemas/contentParts.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { inResponsesTerms, type MessageOrigin } from "./chatPaths.ts";
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
 * Input items as chat messages, with each message's origin. Consecutive `function_call` items (and
 * the assistant message right before them) become one assistant message with `tool_calls`, as
 * chat completions carry a turn.
 */
function messagesOf(items: ResponsesInputItem[]): { messages: ChatMessage[]; origins: MessageOrigin[] } {
  const messages: ChatMessage[] = [];
  const origins: MessageOrigin[] = [];
  const push = (message: ChatMessage, index: number) => {
    messages.push(message);
    origins.push({
      path: `input.${index}`,
      calls: [],
      content: message.role === "tool" ? "output" : "content",
    });
  };
  let assistant: AssistantMessage | undefined;
  for (const [index, item] of items.entries()) {
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
        push(assistant, index);
      }
      origins.at(-1)?.calls.push(`input.${index}`);
      continue;
    }
    if (item.type === "function_call_output") {
      const output = typeof item.output === "string" ? item.output : item.output.map((p) => p.text).join("");
      push({ role: "tool", tool_call_id: item.call_id, content: output }, index);
      assistant = undefined;
      continue;
    }
    const content = chatContent(item.content);
    if (item.role === "assistant") {
      assistant = { role: "assistant", content };
      push(assistant, index);
    } else {
      push({ role: item.role, content }, index);
      assistant = undefined;
    }
  }
  return { messages, origins };
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

const oneText = (path: string): MessageOrigin => ({ path, calls: [], content: "" });

/** A chat request and, for each of its messages, where it came from in the Responses request. */
export interface TranslatedRequest {
  chat: ChatRequest;
  origins: MessageOrigin[];
}

/**
 * The chat request a Responses request means: `instructions` as the first system message, input
 * items as messages, `max_output_tokens` as `max_completion_tokens`, `text.format` as
 * `response_format`. The result passes the chat rules too; what they refuse is named by its path
 * in the Responses request.
 */
export function translateRequest(request: ResponsesRequest): TranslatedRequest {
  const input: { messages: ChatMessage[]; origins: MessageOrigin[] } =
    typeof request.input === "string"
      ? { messages: [{ role: "user", content: request.input }], origins: [oneText("input")] }
      : messagesOf(request.input);
  const instructions = request.instructions;
  const origins = instructions === undefined ? input.origins : [oneText("instructions"), ...input.origins];
  const choice = request.tool_choice;
  const responseFormat = responseFormatOf(request.text?.format);
  const chat: ChatRequestInput = {
    model: request.model,
    messages:
      instructions === undefined
        ? input.messages
        : [{ role: "system", content: instructions }, ...input.messages],
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
  return {
    chat: inResponsesTerms(origins, () => parseOrThrow(chatRequestSchema, chat, "responses request")),
    origins,
  };
}

/** The chat request a Responses request means (see {@link translateRequest}). */
export function toChatRequest(request: ResponsesRequest): ChatRequest {
  return translateRequest(request).chat;
}
