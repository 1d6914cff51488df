import { SluiceError } from "../errors/sluiceError.ts";
import type { ChatMessage } from "../schemas/chatMessage.ts";
import { type ChatRequest, type ChatRequestInput, chatRequestSchema } from "../schemas/chatRequest.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import type { AnthropicMessageParam, CountTokensRequest, MessagesRequest } from "./messagesRequest.ts";

/** A tool result with no content still answers its call; the chat request needs some text for it. */
export const EMPTY_TOOL_RESULT = "(no content)";

/** Prefix that marks a tool result sent with `is_error: true` (chat tool messages have no such flag). */
export const TOOL_ERROR_PREFIX = "Error: ";

type Path = (string | number)[];
type TextPart = { type: "text"; text: string };
type ImagePart = { type: "image_url"; image_url: { url: string } };
type FilePart = { type: "file"; file: { file_data: string; filename?: string } };
type UserPart = TextPart | ImagePart | FilePart;
type Block = Exclude<AnthropicMessageParam["content"], string>[number];
type ToolResult = Extract<Block, { type: "tool_result" }>;

function refuse(path: Path, message: string): never {
  const at = path.join(".");
  throw new SluiceError("validation_error", `Invalid messages request: ${at}: ${message}.`, {
    details: { issues: [{ path: at, message }] },
  });
}

// Chat requests take images from the user only: elsewhere a clear refusal beats dropping them.
function textOnly(block: Block, path: Path): TextPart {
  if (block.type === "text") return { type: "text", text: block.text };
  return refuse(path, `${block.type} blocks are only supported directly in user messages`);
}

function imagePart(block: Extract<Block, { type: "image" }>): ImagePart {
  const { source } = block;
  const url = source.type === "url" ? source.url : `data:${source.media_type};base64,${source.data}`;
  return { type: "image_url", image_url: { url } };
}

type DocumentBlock = Extract<Block, { type: "document" }>;

// A PDF becomes a chat `file` part named by its title (an Anthropic model gets the title back); a
// plain-text document becomes text led by its title. Context, which Anthropic shows the model beside
// the document, leads either as text.
function documentParts(block: DocumentBlock): UserPart[] {
  const { source } = block;
  const title = source.type === "text" ? block.title : undefined;
  const about = [title, block.context].filter((t): t is string => typeof t === "string" && t !== "");
  const lead: UserPart[] = about.length > 0 ? [{ type: "text", text: about.join("\n") }] : [];
  if (source.type === "text") return [...lead, { type: "text", text: source.data }];
  const file_data = `data:application/pdf;base64,${source.data}`;
  return [...lead, { type: "file", file: { file_data, ...(block.title ? { filename: block.title } : {}) } }];
}

function userParts(block: Block, path: Path): UserPart[] {
  if (block.type === "image") return [imagePart(block)];
  if (block.type === "document") return documentParts(block);
  return [textOnly(block, path)];
}

/**
 * A tool result's text for its chat `tool` message, and its images: chat tool messages carry text
 * only, so images follow in the user message after the results, each led by the call it came from.
 */
function toolResultOf(result: ToolResult, path: Path): { text: string; images: UserPart[] } {
  const content = result.content ?? "";
  const texts: string[] = [];
  const images: UserPart[] = [];
  if (typeof content === "string") texts.push(content);
  else
    for (const [at, block] of content.entries()) {
      if (block.type !== "image") texts.push(textOnly(block, [...path, "content", at]).text);
      else {
        if (images.length === 0)
          images.push({ type: "text", text: `Image from tool result ${result.tool_use_id}:` });
        images.push(imagePart(block));
      }
    }
  const text = texts.join("\n");
  const body = text.trim().length === 0 ? EMPTY_TOOL_RESULT : text;
  return { text: result.is_error === true ? `${TOOL_ERROR_PREFIX}${body}` : body, images };
}

function userMessages(content: Block[], path: Path): ChatMessage[] {
  // Chat tool messages must directly follow the assistant's calls, so results go before any text.
  const results: ChatMessage[] = [];
  const parts: UserPart[] = [];
  for (const [at, block] of content.entries()) {
    if (block.type === "tool_result") {
      const { text, images } = toolResultOf(block, [...path, at]);
      results.push({ role: "tool", tool_call_id: block.tool_use_id, content: text });
      parts.push(...images);
    } else parts.push(...userParts(block, [...path, at]));
  }
  return parts.length === 0 ? results : [...results, { role: "user", content: parts }];
}

function assistantMessage(content: Block[], path: Path): ChatMessage {
  const parts: TextPart[] = [];
  const calls: { id: string; type: "function"; function: { name: string; arguments: string } }[] = [];
  for (const [at, block] of content.entries()) {
    if (block.type === "tool_use")
      calls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input) },
      });
    else parts.push(textOnly(block, [...path, at]));
  }
  return {
    role: "assistant",
    content: parts.length === 0 ? null : parts,
    ...(calls.length === 0 ? {} : { tool_calls: calls }),
  };
}

function chatMessagesOf(request: CountTokensRequest): ChatMessage[] {
  const system = request.system;
  const out: ChatMessage[] =
    system === undefined
      ? []
      : [
          {
            role: "system",
            content: typeof system === "string" ? system : system.map((b) => textOnly(b, ["system"])),
          },
        ];
  for (const [index, message] of request.messages.entries()) {
    const path = ["messages", index, "content"];
    if (typeof message.content === "string") out.push({ role: message.role, content: message.content });
    else if (message.role === "user") out.push(...userMessages(message.content, path));
    else out.push(assistantMessage(message.content, path));
  }
  return out;
}

function toolFieldsOf(request: CountTokensRequest): Partial<ChatRequestInput> {
  const tools = request.tools ?? [];
  if (tools.length === 0) return {};
  const choice = request.tool_choice;
  return {
    tools: tools.map((tool) => ({
      type: "function" as const,
      function: {
        name: tool.name,
        parameters: tool.input_schema,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
      },
    })),
    ...(choice === undefined
      ? {}
      : {
          tool_choice:
            choice.type === "tool"
              ? { type: "function" as const, function: { name: choice.name } }
              : choice.type === "any"
                ? "required"
                : choice.type,
        }),
    ...(choice !== undefined &&
    "disable_parallel_tool_use" in choice &&
    choice.disable_parallel_tool_use === true
      ? { parallel_tool_calls: false }
      : {}),
  };
}

function conversationInput(request: CountTokensRequest): ChatRequestInput {
  const format = request.output_config?.format;
  return {
    model: request.model,
    messages: chatMessagesOf(request),
    ...toolFieldsOf(request),
    ...(format
      ? { response_format: { type: "json_schema", json_schema: { name: "output", schema: format.schema } } }
      : {}),
  };
}

const asChat = (input: ChatRequestInput) =>
  parseOrThrow(chatRequestSchema, input, "messages request (as a chat request)");

/** The chat request a count_tokens body stands for (conversation, tools and output format only). */
export function conversationToChatRequest(request: CountTokensRequest): ChatRequest {
  return asChat(conversationInput(request));
}

/**
 * The chat request a Messages body stands for: system → a system message, tool_use → assistant
 * tool_calls (arguments are the input as JSON), tool_result → `tool` messages, metadata.user_id → user.
 */
export function messagesToChatRequest(request: MessagesRequest): ChatRequest {
  const userId = request.metadata?.user_id;
  return asChat({
    ...conversationInput(request),
    max_tokens: request.max_tokens,
    ...(request.stop_sequences?.length ? { stop: request.stop_sequences } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === undefined ? {} : { top_p: request.top_p }),
    ...(typeof userId === "string" ? { user: userId } : {}),
    ...(request.stream === true ? { stream: true } : {}),
  });
}
