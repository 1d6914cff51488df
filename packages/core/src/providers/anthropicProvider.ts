import type { Message } from "@anthropic-ai/sdk/resources/messages";
import { SluiceError } from "../errors/sluiceError.ts";
import { createAnthropicBatchApi } from "./anthropicBatchApi.ts";
import { createMessageStreamReader, messageResultOf } from "./anthropicMessages.ts";
import { toParams } from "./anthropicParams.ts";
import { lazyAnthropicClient } from "./anthropicSdk.ts";
import type { ProviderBatchLimits } from "./batchApi.ts";
import type {
  CallOptions,
  ChatStreamEvent,
  Provider,
  ProviderChatRequest,
  ProviderChatResult,
} from "./provider.ts";
import { abortError, malformedResponse, streamFailure, toSluiceError } from "./providerErrors.ts";

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
    const reader = createMessageStreamReader();
    let received = false;
    try {
      const client = await clientOf();
      const events = await client.messages.create(
        { ...toParams(request, defaultMaxTokens), stream: true },
        { signal },
      );
      // The response has started: from here a broken connection is a cut stream.
      received = true;
      for await (const event of events) yield* reader.read(event);
    } catch (error) {
      throw streamFailure(error, site, signal, received);
    }
    // An aborted SDK stream may simply end: report the abort, not a truncated response.
    if (signal.aborted) throw abortError(signal);
    if (!reader.stopped) throw malformedResponse(site, "the stream ended before message_stop");
    yield reader.done();
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
