import type { ModelResponsesEvent, ResponsesOutcome } from "../llm/modelResponses.ts";
import type { ProviderResponsesBody, ProviderResponsesObject } from "../providers/provider.ts";
import type { ResponseStreamEvent } from "./responseEvents.ts";
import {
  type ResponseBase,
  type ResponseExtension,
  type ResponseOutcome,
  responseObject,
} from "./responseObject.ts";
import type { ResponsesRequest } from "./responsesRequest.ts";

/** The body sent to a provider that serves the Responses API: the request as validated, never stored upstream. */
export function upstreamBody(request: ResponsesRequest): ProviderResponsesBody {
  const { stream: _stream, ...rest } = request;
  return { ...rest, store: false };
}

/** What a native call cost and who answered, for Sluice's extension object. */
export function nativeOutcome(
  call: { costMicros: number; model: string },
  request: ResponsesRequest,
): ResponseOutcome {
  return { costMicros: call.costMicros, modelUsed: call.model, requested: request.model, cacheHit: false };
}

/** What Sluice changes on a provider's response object: its id style, `model` as asked, and the extension. */
function asSluice(
  response: unknown,
  id: string,
  request: ResponsesRequest,
  sluice?: Record<string, unknown>,
) {
  return {
    ...(response as ProviderResponsesObject),
    id,
    model: request.model,
    ...(sluice === undefined ? {} : { sluice }),
  };
}

/** A provider's finished response object as Sluice answers it. */
export function nativeResponse(
  outcome: ResponsesOutcome,
  base: { id: string; request: ResponsesRequest; extension: ResponseExtension },
): ProviderResponsesObject {
  const sluice = base.extension(nativeOutcome({ ...outcome, model: outcome.model.id }, base.request));
  return asSluice(outcome.response, base.id, base.request, sluice);
}

/**
 * Passes a provider's Responses events through, numbered by Sluice from 0, with the response objects
 * they carry under Sluice's id and the model as asked; the last carries Sluice's extension. A failure
 * after the stream began ends it with `response.failed` + `error`, numbered after what was sent (and
 * opened by `response.created` when the provider failed before its first event, as clients expect).
 */
export function createNativeEventWriter(base: ResponseBase) {
  const id = base.ids.response;
  let sequence = 0;
  let latest: unknown = responseObject(base, { status: "in_progress", output: [] });
  const output: unknown[] = [];
  const numbered = (event: Record<string, unknown> & { type: string }): ResponseStreamEvent => ({
    ...event,
    sequence_number: sequence++,
  });
  return {
    /** The event a provider event becomes. */
    next(source: ModelResponsesEvent): ResponseStreamEvent {
      const { event } = source;
      if (event.type === "response.output_item.done") output.push(event.item);
      if (event.response === undefined) return numbered(event);
      latest = event.response;
      const sluice = source.type === "done" ? base.extension(nativeOutcome(source, base.request)) : undefined;
      return numbered({ ...event, response: asSluice(event.response, id, base.request, sluice) });
    },
    /** The closing events of a stream that failed after it began. */
    fail(error: { code: string; message: string }): ResponseStreamEvent[] {
      const opening =
        sequence === 0
          ? [numbered({ type: "response.created", response: asSluice(latest, id, base.request) })]
          : [];
      const response = { ...asSluice(latest, id, base.request), status: "failed", error, output };
      return [
        ...opening,
        numbered({ type: "response.failed", response }),
        numbered({ type: "error", code: error.code, message: error.message, param: null }),
      ];
    },
  };
}
