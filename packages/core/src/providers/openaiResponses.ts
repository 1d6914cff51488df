import type OpenAI from "openai";
import type {
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
} from "openai/resources/responses/responses";
import { SluiceError } from "../errors/sluiceError.ts";
import type { TokenUsage } from "../models/cost.ts";
import type { ProviderResponsesApi, ProviderResponsesEvent, ProviderResponsesObject } from "./provider.ts";
import {
  abortError,
  type FailureSite,
  malformedResponse,
  streamFailure,
  toSluiceError,
} from "./providerErrors.ts";

/** Usage of a Responses object, or undefined when it carries none. */
function usageOf(response: unknown): TokenUsage | undefined {
  const usage = (response as { usage?: { input_tokens?: unknown; output_tokens?: unknown } } | null)?.usage;
  if (typeof usage?.input_tokens !== "number" || typeof usage.output_tokens !== "number") return undefined;
  return { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
}

/** A `response.failed` or `error` event: the provider gave up after the stream began. */
function upstreamFailure(event: ProviderResponsesObject, site: FailureSite): SluiceError {
  const error =
    event.type === "error"
      ? (event as { message?: unknown })
      : (event.response as { error?: { message?: unknown } } | undefined)?.error;
  const message = typeof error?.message === "string" ? error.message : "no reason given";
  return new SluiceError(
    "model_error",
    `${site.provider} model ${site.model} failed the response: ${message}`,
    {
      details: { ...site },
    },
  );
}

const terminal = new Set(["response.completed", "response.incomplete"]);

/** OpenAI's Responses API through the provider's `openai` SDK client (no SDK retries: Sluice retries). */
export function createOpenAiResponsesApi(client: OpenAI, name: string): ProviderResponsesApi {
  return {
    async create(body, { signal }) {
      const site = { provider: name, model: body.model };
      let response: unknown;
      try {
        const params = { ...body, stream: false } as unknown as ResponseCreateParamsNonStreaming;
        response = await client.responses.create(params, { signal });
      } catch (error) {
        throw toSluiceError(error, site);
      }
      const usage = usageOf(response);
      if (!usage || !Array.isArray((response as { output?: unknown }).output))
        throw malformedResponse(site, "missing output or usage");
      return { response: response as ProviderResponsesObject, usage };
    },

    async *stream(body, { signal }): AsyncIterable<ProviderResponsesEvent> {
      const site = { provider: name, model: body.model };
      let received = false;
      let finished = false;
      try {
        const params = { ...body, stream: true } as unknown as ResponseCreateParamsStreaming;
        const events = await client.responses.create(params, { signal });
        // The response has started: from here a broken connection is a cut stream.
        received = true;
        for await (const raw of events) {
          const event = raw as unknown as ProviderResponsesObject & { type: string };
          if (event.type === "response.failed" || event.type === "error") throw upstreamFailure(event, site);
          if (!terminal.has(event.type)) {
            yield { type: "event", event };
            continue;
          }
          const usage = usageOf(event.response);
          if (!usage) throw malformedResponse(site, `${event.type} carries no usage`);
          finished = true;
          yield { type: "done", event, usage };
          return;
        }
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        throw streamFailure(error, site, signal, received);
      }
      // An aborted SDK stream may simply end: report the abort, not a truncated response.
      if (signal.aborted) throw abortError(signal);
      if (!finished) throw malformedResponse(site, "the stream ended before the response finished");
    },
  };
}
