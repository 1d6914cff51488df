import { attributionOf } from "../auth/attribution.ts";
import type { CascadeResult } from "../cascade/cascadeResult.ts";
import { type CascadeStreamMode, streamCascade } from "../cascade/cascadeStream.ts";
import { admitChat, type Guards } from "../limits/guardedCall.ts";
import type { RateLimitState } from "../limits/rateLimiter.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import type { ModelCallContext } from "../llm/modelClient.ts";
import type { TokenUsage } from "../models/cost.ts";
import type { FinishReason, ProviderChatRequest, TextDelta, ToolCallDelta } from "../providers/provider.ts";

/** How a streamed answer ended, from a plain model or a cascade. */
export interface ChatStreamFinish {
  finishReason: FinishReason;
  /** Every choice's finish reason in order, when `n > 1` was asked. */
  finishReasons?: FinishReason[];
  /** The stop sequence that ended the first choice, where the provider says which. */
  stopSequence?: string;
  usage: TokenUsage;
  costMicros: number;
  /** The model that produced the answer. */
  modelUsed: string;
  /** What was asked for: a model id or `cascade:<name>`. */
  requested: string;
  /** The cascade's run, when the request named one. */
  cascade?: CascadeResult;
}

/** Transport-neutral events of a guarded stream, in order; `done` comes last, once. */
export type GuardedStreamEvent =
  | { type: "attempt"; tier: number; model: string }
  | TextDelta
  | ToolCallDelta
  | { type: "retract"; model: string; reason: string }
  | { type: "done"; finish: ChatStreamFinish };

/** An admitted stream: the rate-limit state of its admission, and its events. */
export interface GuardedStream {
  rateLimit: RateLimitState;
  /** Iterate once. Ending the iteration early (break, return, throw) settles the reservation. */
  events: AsyncGenerator<GuardedStreamEvent, void, undefined>;
  /**
   * Gives the reservation back when the events will never be read. Once reading has begun the
   * iteration settles (with the real cost) and this only waits for that; safe to call always.
   */
  abandon(): Promise<void>;
}

/**
 * The one guarded streaming call: rate limit → reserve the maximum cost → cascade or model →
 * stream → settle with the real cost. Admission happens before this returns, so a refusal (429,
 * 402) is thrown before a transport commits to a status; the reservation is settled exactly once,
 * whether the stream finishes, fails or its reader leaves.
 */
export async function guardedStream(
  guards: Guards,
  principal: SpendPrincipal,
  request: ProviderChatRequest,
  options: { context: ModelCallContext; mode: CascadeStreamMode },
): Promise<GuardedStream> {
  const { rateLimit, reservation } = await admitChat(guards, principal, request);
  let settled: Promise<void> | undefined;
  let started = false;
  const settle = (spent: number) => {
    settled ??= reservation.settle(spent);
    return settled;
  };
  const context = { ...options.context, ...attributionOf(principal) };
  async function* events(): AsyncGenerator<GuardedStreamEvent, void, undefined> {
    started = true;
    let spent = 0;
    try {
      for await (const event of chatEvents(guards, request, context, options.mode)) {
        if (event.type === "done") spent = event.finish.costMicros;
        yield event;
      }
    } finally {
      await settle(spent);
    }
  }
  return {
    rateLimit,
    events: events(),
    abandon: () => (started ? (settled ?? Promise.resolve()) : settle(0)),
  };
}

/** A cascade's or a plain model's stream, as {@link GuardedStreamEvent}s. */
async function* chatEvents(
  guards: Guards,
  request: ProviderChatRequest,
  context: ModelCallContext,
  mode: CascadeStreamMode,
): AsyncGenerator<GuardedStreamEvent> {
  const cascade = guards.runtime.cascades.resolve(request.model);
  if (cascade) {
    for await (const event of streamCascade(guards.runtime.models, { cascade, request, context }, mode)) {
      if (event.type !== "done") {
        yield event;
        continue;
      }
      const r = event.result;
      yield {
        type: "done",
        finish: {
          finishReason: r.finishReason,
          usage: r.usage,
          costMicros: r.totalCostMicros,
          modelUsed: r.modelUsed,
          requested: request.model,
          cascade: r,
        },
      };
      return;
    }
    throw new Error("the cascade stream ended without a result");
  }
  for await (const event of guards.runtime.models.stream(request, context)) {
    if (event.type === "delta" || event.type === "tool_call") {
      yield event;
      continue;
    }
    yield {
      type: "done",
      finish: {
        finishReason: event.finishReason,
        ...(event.finishReasons ? { finishReasons: event.finishReasons } : {}),
        ...(event.stopSequence === undefined ? {} : { stopSequence: event.stopSequence }),
        usage: event.usage,
        costMicros: event.costMicros,
        modelUsed: event.model,
        requested: request.model,
      },
    };
    return;
  }
  throw new Error("the stream ended without a final event");
}
