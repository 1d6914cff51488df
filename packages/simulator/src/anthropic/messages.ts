import { findSimModel, type SimModel } from "../catalog.ts";
import { type ChatPlan, planChat } from "../chatPlan.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { delayMs, type SimRequest, type SimState } from "../simContext.ts";
import { countPromptTokens } from "../tokens.ts";

interface MessagesBody {
  model?: unknown;
  messages?: unknown;
  system?: unknown;
  max_tokens?: unknown;
  stop_sequences?: unknown;
  stream?: unknown;
}

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((b) => (b && typeof b === "object" && "text" in b ? String(b.text) : "")).join("");
  return "";
}

/** Validates a Messages API body and plans the answer; sends the error and returns undefined when invalid. */
export function planMessages(
  ctx: Pick<SimRequest, "res" | "state">,
  body: MessagesBody,
  respond = true,
):
  | { model: SimModel; plan: ChatPlan; stopSequence: string | null }
  | { error: { status: number; message: string } } {
  const fail = (status: number, message: string) => {
    if (respond) sendError(ctx.res, "anthropic", status, message);
    return { error: { status, message } };
  };
  if (typeof body.model !== "string") return fail(400, "model: Field required");
  if (!Number.isInteger(body.max_tokens) || Number(body.max_tokens) < 1)
    return fail(400, "max_tokens: Field required");
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return fail(400, "messages: at least one message is required");
  const model = findSimModel(body.model);
  if (model?.kind !== "chat") return fail(404, `model: ${body.model}`);
  const contents = [
    text(body.system),
    ...(body.messages as { content?: unknown }[]).map((m) => text(m?.content)),
  ].filter(Boolean);
  const promptTokens = countPromptTokens(contents);
  const maxTokens = Number(body.max_tokens);
  if (promptTokens + maxTokens > model.contextWindow) {
    return fail(
      400,
      `prompt is too long: ${promptTokens} tokens + ${maxTokens} > ${model.contextWindow} maximum context window`,
    );
  }
  const stop = Array.isArray(body.stop_sequences) ? body.stop_sequences.map(String) : [];
  const plan = planChat(ctx.state, model, {
    prompt: contents.join("\n"),
    promptTokens,
    format: { type: "text" },
    stop,
    maxTokens: Math.min(maxTokens, model.maxOutputTokens),
    n: 1,
  });
  return { model, plan, stopSequence: plan.choices[0]?.stopSequence ?? null };
}

/** The Messages API response object for a plan. */
export function messageObject(state: SimState, model: SimModel, plan: ChatPlan, stopSequence: string | null) {
  const choice = plan.choices[0]!;
  return {
    id: state.nextId("msg"),
    type: "message",
    role: "assistant",
    model: model.id,
    content: [{ type: "text", text: choice.text }],
    stop_reason: choice.finish === "length" ? "max_tokens" : stopSequence ? "stop_sequence" : "end_turn",
    stop_sequence: stopSequence,
    usage: {
      input_tokens: plan.promptTokens,
      output_tokens: plan.completionTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

/** `POST /v1/messages`. */
export async function messages(ctx: SimRequest): Promise<void> {
  const { res, state } = ctx;
  const planned = planMessages(ctx, (ctx.body ?? {}) as MessagesBody);
  if ("error" in planned) return;
  const { model, plan, stopSequence } = planned;
  const message = messageObject(state, model, plan, stopSequence);
  if ((ctx.body as MessagesBody).stream === true) return streamMessage(ctx, model, message);
  if (ctx.fault.kind === "malformed") {
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end('{"type": "message", "content": [');
  }
  await state.sleep(delayMs(state, model.ttftMs + (plan.completionTokens * 1000) / model.tokensPerSecond));
  sendJson(res, 200, message);
}

async function streamMessage(
  ctx: SimRequest,
  model: SimModel,
  message: ReturnType<typeof messageObject>,
): Promise<void> {
  const { res, state } = ctx;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  if (ctx.fault.kind === "malformed") {
    res.write("event: message_start\ndata: {not json}\n\n");
    return void res.end();
  }
  await state.sleep(delayMs(state, model.ttftMs));
  send("message_start", {
    type: "message_start",
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...message.usage, output_tokens: 1 },
    },
  });
  send("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  });
  send("ping", { type: "ping" });
  const perToken = ctx.fault.kind === "slow" ? 50 : delayMs(state, 1000 / model.tokensPerSecond);
  const tokens = message.content[0]?.text.match(/\s*[A-Za-z0-9]+|\s*[^\sA-Za-z0-9]/g) ?? [];
  for (const [i, token] of tokens.entries()) {
    if (ctx.fault.kind === "cut" && i === 3) {
      // Let the first chunks reach the client, then drop the connection without a proper end.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (res.destroyed) return;
    send("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: token },
    });
    if (perToken > 0) await state.sleep(perToken);
  }
  send("content_block_stop", { type: "content_block_stop", index: 0 });
  send("message_delta", {
    type: "message_delta",
    delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
    usage: { output_tokens: message.usage.output_tokens },
  });
  send("message_stop", { type: "message_stop" });
  res.end();
}
