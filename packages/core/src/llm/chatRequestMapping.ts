import type { ProviderChatRequest, ResponseFormat } from "../providers/provider.ts";
import { type ChatRequest, maxTokensOf, messageText } from "../schemas/chatRequest.ts";

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
  const stop =
    request.stop === undefined ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop;
  return {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: messageText(m) })),
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
  };
}
