import type {
  ProviderChatRequest,
  ProviderContentPart,
  ProviderMessage,
  ProviderTool,
  ProviderToolChoice,
  ResponseFormat,
} from "../providers/provider.ts";
import { type ChatMessage, type ChatRequest, maxTokensOf, messageText } from "../schemas/chatRequest.ts";
import { type ContentPart, isTextPart, parseImageDataUrl } from "../schemas/contentParts.ts";
import { imageSizeOfBase64 } from "../tokens/imageSize.ts";

/** One validated content part in the provider-neutral shape; a data-URL image carries its pixel size. */
export function providerPartOf(part: ContentPart): ProviderContentPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image_url": {
      const { url, detail } = part.image_url;
      const bytes = parseImageDataUrl(url);
      const size = bytes && imageSizeOfBase64(bytes.data);
      return {
        type: "image",
        source: bytes ? { kind: "base64", ...bytes } : { kind: "url", url },
        ...(detail === undefined ? {} : { detail }),
        ...(size ? { size: { width: size.width, height: size.height } } : {}),
      };
    }
    case "input_audio":
      return { type: "audio", format: part.input_audio.format, data: part.input_audio.data };
    case "file": {
      const { file_data, file_id, filename } = part.file;
      return {
        type: "file",
        ...(filename === undefined ? {} : { filename }),
        ...(file_data === undefined ? {} : { fileData: file_data }),
        ...(file_id === undefined ? {} : { fileId: file_id }),
      };
    }
  }
}

/** Every part in order when the content holds more than text; undefined for text-only content. */
export function providerPartsOf(content: ChatMessage["content"]): ProviderContentPart[] | undefined {
  if (!Array.isArray(content) || content.every(isTextPart)) return undefined;
  return content.map(providerPartOf);
}

function providerMessageOf(message: ChatMessage): ProviderMessage {
  // A refused turn has its refusal as its only text: the model should still see what it said.
  const refusal = message.role === "assistant" && message.content == null ? message.refusal : undefined;
  const parts = providerPartsOf(message.content);
  const base = { role: message.role, content: refusal ?? messageText(message), ...(parts ? { parts } : {}) };
  if (message.role === "tool") return { ...base, toolCallId: message.tool_call_id };
  if (message.role !== "assistant" || message.tool_calls === undefined) return base;
  return {
    ...base,
    toolCalls: message.tool_calls.map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    })),
  };
}

function toolsOf(request: ChatRequest): ProviderTool[] | undefined {
  return request.tools?.map(({ function: f }) => ({
    name: f.name,
    ...(f.description === undefined ? {} : { description: f.description }),
    ...(f.parameters === undefined ? {} : { parameters: f.parameters }),
    ...(f.strict === undefined ? {} : { strict: f.strict }),
  }));
}

function toolChoiceOf(request: ChatRequest): ProviderToolChoice | undefined {
  const choice = request.tool_choice;
  return typeof choice === "object" ? { name: choice.function.name } : choice;
}

function responseFormatOf(request: ChatRequest): ResponseFormat | undefined {
  const format = request.response_format;
  if (!format) return undefined;
  if (format.type !== "json_schema") return format;
  return {
    type: "json_schema",
    name: format.json_schema.name,
    schema: format.json_schema.schema,
    ...(format.json_schema.strict === undefined ? {} : { strict: format.json_schema.strict }),
  };
}

/** Turns a validated OpenAI-compatible request into the provider-neutral shape. */
export function toProviderRequest(request: ChatRequest): ProviderChatRequest {
  const maxTokens = maxTokensOf(request);
  const responseFormat = responseFormatOf(request);
  const tools = toolsOf(request);
  const toolChoice = toolChoiceOf(request);
  const stop =
    request.stop === undefined ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop;
  return {
    model: request.model,
    messages: request.messages.map(providerMessageOf),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === undefined ? {} : { topP: request.top_p }),
    ...(stop === undefined ? {} : { stop }),
    ...(request.presence_penalty === undefined ? {} : { presencePenalty: request.presence_penalty }),
    ...(request.frequency_penalty === undefined ? {} : { frequencyPenalty: request.frequency_penalty }),
    ...(responseFormat === undefined ? {} : { responseFormat }),
    ...(request.logprobs === undefined ? {} : { logprobs: request.logprobs }),
    ...(request.top_logprobs === undefined ? {} : { topLogprobs: request.top_logprobs }),
    ...(request.n === undefined ? {} : { n: request.n }),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(tools === undefined ? {} : { tools }),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(request.parallel_tool_calls === undefined ? {} : { parallelToolCalls: request.parallel_tool_calls }),
    ...(request.reasoning_effort === undefined ? {} : { reasoningEffort: request.reasoning_effort }),
    ...(request.service_tier === undefined ? {} : { serviceTier: request.service_tier }),
    ...(request.prediction === undefined ? {} : { prediction: request.prediction }),
  };
}
