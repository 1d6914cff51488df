import { SluiceError } from "../errors/sluiceError.ts";
import type { ChatOutcome, ModelClient, ModelStreamEvent } from "../llm/modelClient.ts";
import type { ToolCallDelta } from "../providers/provider.ts";
import { abortError, isAbort } from "../providers/providerErrors.ts";
import {
  type CascadeRunInput,
  capReached,
  noUsableAnswer,
  startingTier,
  summarise,
  tierRequest,
  usableDespite,
  validatorsFor,
} from "./cascadeEngine.ts";
import {
  type CascadeAttempt,
  type CascadeResult,
  failedAttempt,
  judgedAttempt,
  spentBy,
} from "./cascadeResult.ts";
import { collectToolCalls, toolCallEvents } from "./streamedToolCalls.ts";
import { type Draft, validateDraft } from "./validators.ts";

/** How a streamed cascade shows drafts: buffered until accepted, or live with retraction. */
export type CascadeStreamMode = "hold" | "optimistic";

/** Events of a streamed cascade, in order. */
export type CascadeStreamEvent =
  | { type: "attempt"; tier: number; model: string }
  | { type: "delta"; text: string }
  | ToolCallDelta
  | { type: "retract"; model: string; reason: string }
  | { type: "done"; result: CascadeResult };

/** The events that show an answer: its text unless already streamed, then its whole tool calls. */
function* answerEvents(draft: Draft, textShown: boolean): Generator<CascadeStreamEvent> {
  const calls = draft.toolCalls ?? [];
  if (!textShown && (draft.content !== "" || calls.length === 0))
    yield { type: "delta", text: draft.content };
  yield* toolCallEvents(calls);
}

/**
 * Streams a cascade. `hold` buffers each draft until it validates, so only the accepted answer is
 * shown (for structured output); `optimistic` streams the draft's text as it comes and, when it is
 * rejected, emits `retract` before streaming the stronger tier. Tool calls are held in both modes
 * until their draft is accepted, then emitted whole (one `tool_call` event per call).
 */
export async function* streamCascade(
  models: ModelClient,
  input: CascadeRunInput,
  mode: CascadeStreamMode,
): AsyncIterable<CascadeStreamEvent> {
  const signal = input.context?.signal ?? new AbortController().signal;
  const validators = validatorsFor(input);
  const startedAt = performance.now();
  const { tier: first, complexity } = startingTier(input.cascade, input.request);
  const attempts: CascadeAttempt[] = [];
  const failures: unknown[] = [];
  const last = input.cascade.tiers.length - 1;
  let usable: { draft: Draft; outcome: ChatOutcome } | undefined;
  let stoppedBy: "cost_cap" | "latency_cap" | undefined;

  for (let tier = first; tier <= last; tier++) {
    if (tier > first) {
      stoppedBy = capReached(
        models,
        input.cascade,
        tier,
        spentBy(attempts, performance.now() - startedAt),
        input.request,
      );
      if (stoppedBy) break;
    }
    const request = tierRequest(input.cascade, tier, input.request);
    yield { type: "attempt", tier, model: request.model };
    let text = "";
    const pieces = collectToolCalls();
    let done: Extract<ModelStreamEvent, { type: "done" }> | undefined;
    try {
      for await (const event of models.stream(request, { ...input.context, signal })) {
        if (event.type === "delta") {
          text += event.text;
          if (mode === "optimistic") yield event;
        } else if (event.type === "tool_call") pieces.add(event);
        else if (event.type === "done") done = event;
      }
    } catch (error) {
      if (isAbort(error) || signal.aborted) throw abortError(signal);
      const attempt = failedAttempt(tier, request.model, error);
      failures.push(error);
      attempts.push(attempt);
      if (mode === "optimistic" && text)
        yield { type: "retract", model: request.model, reason: attempt.reason };
      continue;
    }
    if (!done)
      throw new SluiceError("model_error", `model ${request.model} ended its stream without finishing`);
    const calls = pieces.calls();
    const toolCalls = calls.length > 0 ? { toolCalls: calls } : {};
    const draft: Draft = {
      model: request.model,
      content: text,
      finishReason: done.finishReason,
      ...toolCalls,
    };
    const verdict = await validateDraft(draft, validators, { signal });
    attempts.push(judgedAttempt(tier, request.model, done, verdict));
    const outcome: ChatOutcome = {
      result: {
        id: "",
        content: text,
        finishReason: done.finishReason,
        choices: [{ content: text, finishReason: done.finishReason, ...toolCalls }],
        usage: done.usage,
        ...toolCalls,
      },
      model: models.registry.get(request.model),
      provider: done.provider,
      costMicros: done.costMicros,
      latencyMs: done.latencyMs,
      cacheHit: false,
    };
    // As the blocking run: the last tier's draft breaking the request's contract stands only alone.
    const stands = tier === last && usableDespite(verdict, true) && (!verdict.hard || !usable);
    if (verdict.accept || stands) {
      yield* answerEvents(draft, mode === "optimistic");
      yield {
        type: "done",
        result: summarise(models, input, { draft, outcome }, attempts, {
          startedAt,
          now: performance.now(),
          preRouted: first > 0,
          complexity,
          outcome: tier === first && verdict.accept ? "accepted" : "escalated",
        }),
      };
      return;
    }
    if (!verdict.hard) usable = { draft, outcome };
    // Every draft that does not stand is taken back, so the screen never keeps a rejected answer.
    if (mode === "optimistic" && (tier < last || text))
      yield { type: "retract", model: request.model, reason: verdict.reason };
  }
  if (usable) {
    // In optimistic mode it was retracted when rejected: show it again, as in hold mode.
    yield* answerEvents(usable.draft, false);
    yield {
      type: "done",
      result: summarise(models, input, usable, attempts, {
        startedAt,
        now: performance.now(),
        preRouted: first > 0,
        complexity,
        outcome: stoppedBy ?? "escalated",
      }),
    };
    return;
  }
  throw noUsableAnswer(input, attempts, failures);
}
