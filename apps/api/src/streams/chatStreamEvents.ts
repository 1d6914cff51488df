import {
  type ChatRequest,
  endUserOf,
  type GuardedStreamEvent,
  type Principal,
  spendPrincipalOf,
  toSluiceError,
} from "@sluice/core";
import { toPublicError } from "../errors/publicError.ts";
import type { ApiServices } from "../services.ts";

/** Events of a streamed chat or cascade, as subscribers receive them. */
export type ChatStreamData =
  | Exclude<GuardedStreamEvent, { type: "done" }>
  | {
      type: "done";
      finishReason: string;
      /** Every choice's finish reason in order, when `n > 1` was asked. */
      finishReasons?: string[];
      modelUsed: string;
      costMicros: number;
      usage: { inputTokens: number; outputTokens: number };
      cascaded: boolean;
      draftAccepted: boolean | null;
    }
  | { type: "error"; error: { code: string; message: string } };

/** Runs the guarded chat (or cascade) stream, emitting subscriber events. */
export async function produceChatStream(
  services: ApiServices,
  principal: Principal,
  body: ChatRequest,
  mode: "hold" | "optimistic",
  requestId: string,
  emit: (data: ChatStreamData) => void,
): Promise<void> {
  const { events } = await services.chat.stream(
    spendPrincipalOf(principal, endUserOf(undefined, body.user)),
    body,
    {
      context: { requestId },
      mode,
    },
  );
  for await (const event of events) emit(event.type === "done" ? subscriberDone(event) : event);
}

function subscriberDone({ finish }: Extract<GuardedStreamEvent, { type: "done" }>): ChatStreamData {
  return {
    type: "done",
    finishReason: finish.finishReason,
    ...(finish.finishReasons ? { finishReasons: finish.finishReasons } : {}),
    modelUsed: finish.modelUsed,
    costMicros: finish.costMicros,
    usage: finish.usage,
    cascaded: finish.cascade?.cascaded ?? false,
    draftAccepted: finish.cascade?.draftAccepted ?? null,
  };
}

/** The final event of a stream that failed. */
export function streamError(error: unknown): ChatStreamData {
  const pub = toPublicError(toSluiceError(error, { provider: "sluice", model: "stream" }));
  return { type: "error", error: { code: pub.code, message: pub.message } };
}
