import type {
  ChatRequest,
  ChatStreamFinish,
  GuardedStream,
  GuardedStreamEvent,
  Principal,
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
  principal: Principal,
  body: ChatRequest,
  options: { requestId: string; signal: AbortSignal },
  res: Response,
): Promise<void> {
  const stream = await services.chat.stream(principal.tenant, body, {
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
  // With tools the answer may open with a call, whose first chunk carries the role and content null
  // (as OpenAI's does; SDKs send that message back, and "" is not null). Without tools, send it now.
  const textOpening = chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
  let opened = body.tools === undefined;
  if (opened) res.write(textOpening);
  const openWithText = () => {
    if (!opened) res.write(textOpening);
    opened = true;
  };
  for await (const event of events) {
    if (event.type === "delta") {
      openWithText();
      res.write(
        chunk([{ index: 0, delta: { content: event.text }, ...logprobsOf(event), finish_reason: null }]),
      );
    } else if (event.type === "tool_call") {
      const role = opened ? {} : { role: "assistant", content: null };
      opened = true;
      const delta = { ...role, tool_calls: [toolCallDelta(event)] };
      res.write(chunk([{ index: 0, delta, ...logprobsOf(event), finish_reason: null }]));
    } else if (event.type === "done") {
      openWithText();
      res.write(chunk([{ index: 0, delta: {}, finish_reason: event.finish.finishReason }]));
      if (body.stream_options?.include_usage === true) res.write(chunk([], usageFields(event.finish)));
    }
  }
  res.end("data: [DONE]\n\n");
}
