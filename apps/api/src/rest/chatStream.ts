import type {
  ChatRequest,
  ChatStreamFinish,
  GuardedStream,
  GuardedStreamEvent,
  SpendPrincipal,
} from "@sluice/core";
import type { Response } from "express";
import { errorBody, SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import type { ApiServices } from "../services.ts";
import { choiceLogprobs } from "./chatChoices.ts";
import { rateLimitHeaders } from "./rateLimitHeaders.ts";

/** The usage chunk OpenAI clients ask for with `stream_options.include_usage`. */
function usageFields(finish: ChatStreamFinish) {
  return {
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
  };
}

type ToolCallEvent = Extract<GuardedStreamEvent, { type: "tool_call" }>;

/** One `delta.tool_calls` entry as OpenAI streams it: id, type and name only on a call's first piece. */
function toolCallDelta(event: ToolCallEvent) {
  const opening = event.id !== undefined || event.name !== undefined;
  return {
    index: event.index,
    ...(event.id === undefined ? {} : { id: event.id }),
    ...(opening ? { type: "function" } : {}),
    function: { ...(event.name === undefined ? {} : { name: event.name }), arguments: event.arguments },
  };
}

/**
 * Streams an OpenAI-compatible chat completion as SSE through the guarded stream. Cascades stream
 * in `hold` mode: OpenAI clients cannot take text back, so only the accepted answer is sent.
 */
export async function streamChatCompletion(
  services: ApiServices,
  principal: SpendPrincipal,
  body: ChatRequest,
  options: { requestId: string; signal: AbortSignal },
  res: Response,
): Promise<void> {
  const stream = await services.chat.stream(principal, body, {
    context: { requestId: options.requestId, signal: options.signal },
    mode: "hold",
  });
  try {
    await writeStream(stream, body, options.requestId, res);
  } catch (error) {
    // Headers are sent: the error travels as a final event in the error envelope.
    const pub = services.shutdown?.aborted ? SHUTTING_DOWN : toPublicError(error);
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(errorBody(pub, options.requestId))}\n\n`);
  } finally {
    await stream.abandon();
  }
}

async function writeStream(
  { rateLimit, events }: GuardedStream,
  body: ChatRequest,
  requestId: string,
  res: Response,
): Promise<void> {
  const id = `chatcmpl-${requestId}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices, ...extra })}\n\n`;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-request-id": requestId,
    ...rateLimitHeaders(rateLimit),
  });
  // Chunks carry `logprobs` only when asked, so plain streams keep their exact shape.
  const asked = body.logprobs === true;
  const logprobsOf = (event: GuardedStreamEvent) =>
    asked ? { logprobs: event.type === "delta" ? choiceLogprobs(event.logprobs, true) : null } : {};
  // Each choice opens with the role. With tools an answer may open with a call, whose first chunk
  // carries the role and content null (as OpenAI's does; SDKs send that message back, and "" is not
  // null), so the role waits for the choice's first text or call. Without tools, it goes now.
  const choices = Array.from({ length: body.n ?? 1 }, (_, index) => index);
  const opened = new Set<number>();
  const open = (index: number, delta: Record<string, unknown>) => {
    if (opened.has(index)) return delta;
    opened.add(index);
    return { role: "assistant", content: delta.tool_calls ? null : "", ...delta };
  };
  const write = (index: number, delta: Record<string, unknown>, extra: object = {}) =>
    res.write(chunk([{ index, delta, ...extra, finish_reason: null }]));
  if (body.tools === undefined) for (const index of choices) write(index, open(index, {}));
  for await (const event of events) {
    if (event.type === "delta") {
      const index = event.choice ?? 0;
      if (!opened.has(index)) write(index, open(index, {}));
      write(index, { content: event.text }, logprobsOf(event));
    } else if (event.type === "tool_call") {
      const index = event.choice ?? 0;
      write(index, open(index, { tool_calls: [toolCallDelta(event)] }), logprobsOf(event));
    } else if (event.type === "done") {
      const { finish } = event;
      for (const index of choices) {
        if (!opened.has(index)) write(index, open(index, {}));
        const reason = finish.finishReasons?.[index] ?? finish.finishReason;
        res.write(chunk([{ index, delta: {}, finish_reason: reason }]));
      }
      if (body.stream_options?.include_usage === true) res.write(chunk([], usageFields(finish)));
    }
  }
  res.end("data: [DONE]\n\n");
}
