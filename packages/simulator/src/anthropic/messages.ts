import { findSimModel, type SimModel } from "../catalog.ts";
import { type ChatPlan, planChat } from "../chatPlan.ts";
import { invalidRateHeader } from "../openai/chatCompletions.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { delayMs, type SimRequest, type SimState } from "../simContext.ts";
import { countPromptTokens, splitTokens } from "../tokens.ts";
import {
  contentProblem,
  extraPromptTokens,
  plannedToolUse,
  type SimToolUse,
  turnText,
} from "./messageRequest.ts";

interface MessagesBody {
  model?: unknown;
  messages?: unknown;
  system?: unknown;
  max_tokens?: unknown;
  stop_sequences?: unknown;
  stream?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
}

/** A validated Messages request with its planned answer. */
export interface PlannedMessage {
  model: SimModel;
  plan: ChatPlan;
  stopSequence: string | null;
  /** Set when the model answers by calling a tool. */
  toolUse?: SimToolUse;
}

/**
 * Validates a Messages API body and plans the answer; sends the error and returns it when invalid.
 * `invalidToolCallRate` overrides the simulator's rate of broken tool calls for this request.
 */
export function planMessages(
  ctx: Pick<SimRequest, "res" | "state">,
  body: MessagesBody,
  respond = true,
  invalidToolCallRate?: number,
): PlannedMessage | { error: { status: number; message: string } } {
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
  const turns = body.messages as { role?: unknown; content?: unknown }[];
  const problem = contentProblem({ tools: body.tools, messages: turns });
  if (problem) return fail(400, problem);
  const contents = [turnText(body.system), ...turns.map((m) => turnText(m?.content))].filter(Boolean);
  const promptTokens =
    countPromptTokens(contents) + extraPromptTokens({ tools: body.tools, messages: turns });
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
  const toolUse = plannedToolUse(
    { tools: body.tools, tool_choice: body.tool_choice, messages: turns },
    {
      model: model.id,
      quality: model.quality,
      invalidRate: invalidToolCallRate ?? ctx.state.invalidToolCallRate,
      prompt: contents.join("\n"),
      seed: ctx.state.seed,
      nextId: () => ctx.state.nextId("toolu"),
    },
  );
  if (!toolUse) return { model, plan, stopSequence: plan.choices[0]?.stopSequence ?? null };
  plan.choices = [{ tokens: [], text: "", finish: "stop" }];
  plan.completionTokens = toolUse.tokens;
  return { model, plan, stopSequence: null, toolUse };
}

/** The Messages API response object for a planned answer. */
export function messageObject(state: SimState, planned: PlannedMessage) {
  const { model, plan, stopSequence, toolUse } = planned;
  const choice = plan.choices[0]!;
  const content = toolUse
    ? [{ type: "tool_use", id: toolUse.id, name: toolUse.name, input: toolUse.input }]
    : [{ type: "text", text: choice.text }];
  const stopReason = toolUse
    ? "tool_use"
    : choice.finish === "length"
      ? "max_tokens"
      : stopSequence
        ? "stop_sequence"
        : "end_turn";
  return {
    id: state.nextId("msg"),
    type: "message",
    role: "assistant",
    model: model.id,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: {
      input_tokens: plan.promptTokens,
      output_tokens: plan.completionTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

// API version 2026-10-21 (what current SDKs send) removed the sampling fields: any value is a 400.
const REMOVED_IN_2026_10_21 = ["temperature", "top_p", "top_k"];

/** `POST /v1/messages`. */
export async function messages(ctx: SimRequest): Promise<void> {
  const { res, state } = ctx;
  const body = (ctx.body ?? {}) as MessagesBody & Record<string, unknown>;
  if (ctx.req.headers["anthropic-version"] === "2026-10-21") {
    const removed = REMOVED_IN_2026_10_21.find((field) => field in body);
    if (removed) return sendError(res, "anthropic", 400, `${removed}: Extra inputs are not permitted`);
  }
  const planned = planMessages(ctx, body, true, invalidRateHeader(ctx));
  if ("error" in planned) return;
  const message = messageObject(state, planned);
  if (body.stream === true) return streamMessage(ctx, planned, message);
  if (ctx.fault.kind === "malformed") {
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end('{"type": "message", "content": [');
  }
  const { model, plan } = planned;
  await state.sleep(delayMs(state, model.ttftMs + (plan.completionTokens * 1000) / model.tokensPerSecond));
  sendJson(res, 200, message);
}

/** The content block a stream opens with (a tool_use block starts with empty input) and its deltas. */
function streamedBlock(planned: PlannedMessage) {
  const { toolUse } = planned;
  if (!toolUse) {
    const text = planned.plan.choices[0]?.text ?? "";
    return {
      block: { type: "text", text: "" },
      deltas: splitTokens(text).map((token) => ({ type: "text_delta", text: token })),
    };
  }
  const pieces = splitTokens(toolUse.json);
  // The token pattern skips trailing whitespace; never stream input that differs from the call's.
  const fragments = pieces.join("") === toolUse.json ? pieces : [toolUse.json];
  return {
    block: { type: "tool_use", id: toolUse.id, name: toolUse.name, input: {} },
    deltas: fragments.map((piece) => ({ type: "input_json_delta", partial_json: piece })),
  };
}

async function streamMessage(
  ctx: SimRequest,
  planned: PlannedMessage,
  message: ReturnType<typeof messageObject>,
): Promise<void> {
  const { res, state } = ctx;
  const { model } = planned;
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
  const { block, deltas } = streamedBlock(planned);
  send("content_block_start", { type: "content_block_start", index: 0, content_block: block });
  send("ping", { type: "ping" });
  const perToken = ctx.fault.kind === "slow" ? 50 : delayMs(state, 1000 / model.tokensPerSecond);
  for (const [i, delta] of deltas.entries()) {
    if (ctx.fault.kind === "cut" && i === 3) {
      // Let the first chunks reach the client, then drop the connection without a proper end.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (res.destroyed) return;
    send("content_block_delta", { type: "content_block_delta", index: 0, delta });
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
