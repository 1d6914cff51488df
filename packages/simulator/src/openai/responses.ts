import { sendError, sendJson } from "../providerErrors.ts";
import { delayMs, type SimRequest } from "../simContext.ts";
import { splitTokens } from "../tokens.ts";
import { type PreparedChat, prepareChat } from "./chatCompletions.ts";
import { chatBodyOf, outputOf, responseOf, type SimResponseIds, wantsStream } from "./responsesBody.ts";

// The token pattern skips trailing whitespace; never stream arguments that differ from the call's.
function wholePieces(text: string): string[] {
  const pieces = splitTokens(text);
  return pieces.join("") === text ? pieces : [text];
}

function idsOf(ctx: SimRequest): SimResponseIds {
  return {
    response: ctx.state.nextId("resp"),
    message: ctx.state.nextId("msg"),
    call: ctx.state.nextId("fc"),
  };
}

/**
 * `POST /v1/responses`: the stateless subset of OpenAI's Responses API. The request is planned as
 * the equivalent chat completion, so answers and token counts match chat for the same conversation.
 */
export async function responses(ctx: SimRequest): Promise<void> {
  const { res, state } = ctx;
  const input = (ctx.body as { input?: unknown } | undefined)?.input;
  if (typeof input !== "string" && !(Array.isArray(input) && input.length > 0)) {
    return sendError(res, "openai", 400, "'input' must be a string or a non-empty array", { param: "input" });
  }
  const chat = prepareChat(state, chatBodyOf(ctx.body));
  if ("status" in chat) {
    return sendError(res, "openai", chat.status, chat.message, {
      ...(chat.code ? { code: chat.code } : {}),
      ...(chat.param ? { param: chat.param === "messages" ? "input" : chat.param } : {}),
    });
  }
  const ids = idsOf(ctx);
  if (wantsStream(ctx.body)) return streamResponse(ctx, chat, ids);
  if (ctx.fault.kind === "malformed") {
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end('{"id": "broken", "output": [');
  }
  const { model, plan } = chat;
  await state.sleep(delayMs(state, model.ttftMs + (plan.completionTokens * 1000) / model.tokensPerSecond));
  const output = outputOf(chat, ids);
  const status = output[0]?.status ?? "completed";
  sendJson(res, 200, responseOf(ctx.body, chat, ids, { status, output, usage: true }));
}

/** Streams the Responses event sequence, numbered from 0, with the fault headers chat honours. */
async function streamResponse(ctx: SimRequest, chat: PreparedChat, ids: SimResponseIds): Promise<void> {
  const { res, state } = ctx;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  if (ctx.fault.kind === "malformed") {
    res.write("event: response.created\ndata: {not json}\n\n");
    return void res.end();
  }
  let sequence = 0;
  const send = (type: string, fields: object) =>
    res.write(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`,
    );
  const snapshot = (status: string, output: unknown[], usage = false) =>
    responseOf(ctx.body, chat, ids, { status, output, usage });
  const perToken = ctx.fault.kind === "slow" ? 50 : delayMs(state, 1000 / chat.model.tokensPerSecond);
  send("response.created", { response: snapshot("in_progress", []) });
  send("response.in_progress", { response: snapshot("in_progress", []) });
  await state.sleep(delayMs(state, chat.model.ttftMs));
  const [item] = outputOf(chat, ids);
  if (!item) return void res.end();
  const at = { output_index: 0, item_id: item.id };
  const pieces =
    item.type === "function_call"
      ? wholePieces(item.arguments)
      : (chat.plan.choices[0]?.tokens ?? []).map((token) => token.text);
  const opened =
    item.type === "function_call"
      ? { ...item, status: "in_progress", arguments: "" }
      : { ...item, status: "in_progress", content: [] };
  send("response.output_item.added", { output_index: 0, item: opened });
  const emptyText = { type: "output_text", text: "", annotations: [], logprobs: [] };
  if (item.type === "message")
    send("response.content_part.added", { ...at, content_index: 0, part: emptyText });
  let sent = 0;
  for (const delta of pieces) {
    if (ctx.fault.kind === "cut" && sent === 3) {
      // Let the first events reach the client, then drop the connection without a proper end.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (res.destroyed) return;
    if (item.type === "function_call") send("response.function_call_arguments.delta", { ...at, delta });
    else send("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
    sent++;
    if (perToken > 0) await state.sleep(perToken);
  }
  if (item.type === "function_call") {
    send("response.function_call_arguments.done", { ...at, name: item.name, arguments: item.arguments });
  } else {
    const part = item.content[0];
    send("response.output_text.done", { ...at, content_index: 0, text: part?.text ?? "", logprobs: [] });
    send("response.content_part.done", { ...at, content_index: 0, part });
  }
  send("response.output_item.done", { output_index: 0, item });
  const final = snapshot(item.status, [item], true);
  send(item.status === "completed" ? "response.completed" : "response.incomplete", { response: final });
  res.end();
}
