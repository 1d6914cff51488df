import { admitChat, type Principal, type ProviderChatRequest, streamCascade } from "@sluice/core";
import type { Response } from "express";
import { errorBody, SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import type { ApiServices } from "../services.ts";

interface Finish {
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number };
  costMicros: number;
  modelUsed: string;
  cascade?: { cascaded: boolean; draftAccepted: boolean; savedMicros: number };
}

/** Text deltas then one finish, from a plain model or (held until accepted) from a cascade. */
async function* deltas(
  services: ApiServices,
  principal: Principal,
  request: ProviderChatRequest,
  context: { requestId: string; signal: AbortSignal },
): AsyncGenerator<string, Finish> {
  const callContext = { ...context, tenantId: principal.tenant.id };
  const cascade = services.runtime.cascades.resolve(request.model);
  if (cascade) {
    // OpenAI clients cannot take back text, so cascades stream only their accepted answer.
    for await (const event of streamCascade(
      services.runtime.models,
      { cascade, request, context: callContext },
      "hold",
    )) {
      if (event.type === "delta") yield event.text;
      if (event.type === "done") {
        const r = event.result;
        return {
          finishReason: r.finishReason,
          usage: r.usage,
          costMicros: r.totalCostMicros,
          modelUsed: r.modelUsed,
          cascade: r,
        };
      }
    }
    throw new Error("cascade stream ended without a result");
  }
  for await (const event of services.runtime.models.stream(request, callContext)) {
    if (event.type === "delta") yield event.text;
    else
      return {
        finishReason: event.finishReason,
        usage: event.usage,
        costMicros: event.costMicros,
        modelUsed: event.model,
      };
  }
  throw new Error("stream ended without finishing");
}

/** Streams an OpenAI-compatible chat completion as SSE, under the tenant's rate limit and budget. */
export async function streamChatCompletion(
  services: ApiServices,
  principal: Principal,
  request: ProviderChatRequest,
  options: { requestId: string; signal: AbortSignal; includeUsage: boolean },
  res: Response,
): Promise<void> {
  const reservation = await admitChat(services, principal.tenant, request);
  const id = `chatcmpl-${options.requestId}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: request.model, choices, ...extra })}\n\n`;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-request-id": options.requestId,
  });
  res.write(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
  let spent = 0;
  try {
    const stream = deltas(services, principal, request, options);
    let next = await stream.next();
    while (!next.done) {
      res.write(chunk([{ index: 0, delta: { content: next.value }, finish_reason: null }]));
      next = await stream.next();
    }
    const finish = next.value;
    spent = finish.costMicros;
    res.write(chunk([{ index: 0, delta: {}, finish_reason: finish.finishReason }]));
    if (options.includeUsage) {
      res.write(
        chunk([], {
          usage: {
            prompt_tokens: finish.usage.inputTokens,
            completion_tokens: finish.usage.outputTokens,
            total_tokens: finish.usage.inputTokens + finish.usage.outputTokens,
          },
          sluice: {
            cost_micros: finish.costMicros,
            model_used: finish.modelUsed,
            cascaded: finish.cascade?.cascaded ?? false,
            draft_accepted: finish.cascade?.draftAccepted ?? null,
          },
        }),
      );
    }
    res.end("data: [DONE]\n\n");
  } catch (error) {
    // Headers are sent: the error travels as a final event in the error envelope.
    const pub = services.shutdown?.aborted ? SHUTTING_DOWN : toPublicError(error);
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(errorBody(pub, options.requestId))}\n\n`);
  } finally {
    await reservation.settle(spent);
  }
}
