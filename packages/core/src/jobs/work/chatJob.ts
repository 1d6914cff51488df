import { guardedStream } from "../../chat/guardedStream.ts";
import { assembleToolCalls } from "../../chat/toolCallAssembly.ts";
import { type Guards, guardedComplete } from "../../limits/guardedCall.ts";
import { type SpendPrincipal, withEndUserField } from "../../limits/spendPrincipal.ts";
import { toProviderRequest } from "../../llm/chatRequestMapping.ts";
import type { ProviderToolCall } from "../../providers/provider.ts";
import type { ChatRequest } from "../../schemas/chatRequest.ts";

/** What a `chat.complete` job leaves as its result. */
export interface ChatJobResult {
  content: string;
  finishReason: string;
  modelUsed: string;
  requested: string;
  usage: { inputTokens: number; outputTokens: number };
  costMicros: number;
  cascaded: boolean;
  draftAccepted: boolean | null;
  /** The calls the model made when it answered by calling tools (`finishReason` "tool_calls"). */
  toolCalls?: ProviderToolCall[];
}

/** Reports at most one progress event per this many generated characters. */
const PROGRESS_EVERY_CHARS = 200;

/**
 * Runs a chat job under the limits of its tenant and of the key that queued it. With `stream`, a plain model's answer is streamed, so
 * progress follows the text as it arrives (against the output allowance); otherwise it is one
 * call (lighter: a worker holds thousands of them at once). Either way the job's signal aborts
 * the upstream call. Cascades run whole (their draft may be discarded).
 */
export async function runChatJob(
  guards: Guards,
  principal: SpendPrincipal,
  body: ChatRequest,
  ctx: {
    jobId: string;
    signal: AbortSignal;
    stream?: boolean;
    progress: (percent: number, message?: string) => void;
  },
): Promise<ChatJobResult> {
  const request = toProviderRequest(body);
  // The request's `user` names its end user, as on /v1/chat/completions: their budget and the call log.
  const payer = withEndUserField(principal, body.user);
  const context = { tenantId: principal.tenant.id, jobId: ctx.jobId, signal: ctx.signal };
  if (!ctx.stream || guards.runtime.cascades.resolve(request.model)) {
    const { completion } = await guardedComplete(guards, payer, request, context);
    return {
      content: completion.content,
      finishReason: completion.finishReason,
      modelUsed: completion.modelUsed,
      requested: completion.requested,
      usage: completion.usage,
      costMicros: completion.costMicros,
      cascaded: completion.cascade?.cascaded ?? false,
      draftAccepted: completion.cascade?.draftAccepted ?? null,
      ...(completion.choices[0]?.toolCalls ? { toolCalls: completion.choices[0].toolCalls } : {}),
    };
  }
  const model = guards.runtime.registry.get(request.model);
  const allowance = Math.max(1, request.maxTokens ?? model.maxOutputTokens);
  const { events } = await guardedStream(guards, payer, request, { context, mode: "hold" });
  let content = "";
  let reported = 0;
  const toolCalls = assembleToolCalls();
  for await (const event of events) {
    // A job's result is one answer, as its non-streamed form returns: the first choice's.
    if ((event.type === "delta" || event.type === "tool_call") && (event.choice ?? 0) !== 0) continue;
    if (event.type === "tool_call") toolCalls.add(event);
    else if (event.type === "delta") {
      content += event.text;
      if (content.length - reported >= PROGRESS_EVERY_CHARS) {
        reported = content.length;
        // About four characters a token: a rough share of the allowance, never 100 before the end.
        ctx.progress(Math.min(99, (content.length / 4 / allowance) * 100), `${content.length} characters`);
      }
    } else if (event.type === "done") {
      const { finish } = event;
      const calls = toolCalls.calls();
      return {
        content,
        finishReason: finish.finishReason,
        modelUsed: finish.modelUsed,
        requested: finish.requested,
        usage: finish.usage,
        costMicros: finish.costMicros,
        cascaded: false,
        draftAccepted: null,
        ...(calls ? { toolCalls: calls } : {}),
      };
    }
  }
  throw new Error("the stream ended without a final event");
}
