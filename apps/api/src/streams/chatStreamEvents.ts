import {
  admitChat,
  type ChatRequest,
  type Principal,
  streamCascade,
  toProviderRequest,
  toSluiceError,
} from "@sluice/core";
import { toPublicError } from "../errors/publicError.ts";
import type { ApiServices } from "../services.ts";

/** Events of a streamed chat or cascade, as subscribers receive them. */
export type ChatStreamData =
  | { type: "attempt"; tier: number; model: string }
  | { type: "delta"; text: string }
  | { type: "retract"; model: string; reason: string }
  | {
      type: "done";
      finishReason: string;
      modelUsed: string;
      costMicros: number;
      usage: { inputTokens: number; outputTokens: number };
      cascaded: boolean;
      draftAccepted: boolean | null;
    }
  | { type: "error"; error: { code: string; message: string } };

/** Runs a chat (or cascade) stream under the tenant's limits, emitting subscriber events. */
export async function produceChatStream(
  services: ApiServices,
  principal: Principal,
  body: ChatRequest,
  mode: "hold" | "optimistic",
  requestId: string,
  emit: (data: ChatStreamData) => void,
): Promise<void> {
  const request = toProviderRequest(body);
  const reservation = await admitChat(services, principal.tenant, request);
  let spent = 0;
  const context = { tenantId: principal.tenant.id, requestId };
  try {
    const cascade = services.runtime.cascades.resolve(request.model);
    if (cascade) {
      for await (const event of streamCascade(services.runtime.models, { cascade, request, context }, mode)) {
        if (event.type !== "done") emit(event);
        else {
          const r = event.result;
          spent = r.totalCostMicros;
          emit({
            type: "done",
            finishReason: r.finishReason,
            modelUsed: r.modelUsed,
            costMicros: spent,
            usage: r.usage,
            cascaded: r.cascaded,
            draftAccepted: r.draftAccepted,
          });
        }
      }
      return;
    }
    for await (const event of services.runtime.models.stream(request, context)) {
      if (event.type === "delta") emit(event);
      else {
        spent = event.costMicros;
        emit({
          type: "done",
          finishReason: event.finishReason,
          modelUsed: event.model,
          costMicros: spent,
          usage: event.usage,
          cascaded: false,
          draftAccepted: null,
        });
      }
    }
  } finally {
    await reservation.settle(spent);
  }
}

/** The final event of a stream that failed. */
export function streamError(error: unknown): ChatStreamData {
  const pub = toPublicError(toSluiceError(error, { provider: "sluice", model: "stream" }));
  return { type: "error", error: { code: pub.code, message: pub.message } };
}
