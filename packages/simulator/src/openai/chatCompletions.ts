import type { AnswerFormat } from "../answers.ts";
import { findSimModel, type SimModel } from "../catalog.ts";
import { type ChatPlan, planChat } from "../chatPlan.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { delayMs, type SimRequest, type SimState } from "../simContext.ts";
import { countPromptTokens } from "../tokens.ts";
import { messagesImageTokens } from "./imageTokens.ts";
import {
  plannedToolCall,
  type SimToolCall,
  toolCallDeltas,
  toolCallMessage,
  toolCallTokens,
  toolPromptTokens,
} from "./toolCalls.ts";

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  stop?: unknown;
  n?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
  response_format?: { type?: unknown; json_schema?: { schema?: unknown } };
  logprobs?: unknown;
  top_logprobs?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("");
  }
  return "";
}

function formatOf(body: ChatBody): AnswerFormat {
  const type = body.response_format?.type;
  if (type === "json_object") return { type: "json_object" };
  if (type === "json_schema")
    return { type: "json_schema", schema: body.response_format?.json_schema?.schema };
  return { type: "text" };
}

function logprobsOf(choice: ChatPlan["choices"][number], top: number) {
  return {
    content: choice.tokens.map((t) => ({
      token: t.text,
      logprob: t.logprob,
      bytes: [...Buffer.from(t.text)],
      top_logprobs: t.alternatives
        .slice(0, top)
        .map((a) => ({ token: a.text, logprob: a.logprob, bytes: null })),
    })),
    refusal: null,
  };
}

/** A chat request that failed validation, in OpenAI's terms. */
export interface ChatRejection {
  status: number;
  message: string;
  code?: string;
  param?: string;
}

/** A validated chat request with its planned answer. */
export interface PreparedChat {
  model: SimModel;
  plan: ChatPlan;
  id: string;
  created: number;
  top: number;
  logprobs: boolean;
  /** Set when the model answers by calling a tool (every choice then makes this call). */
  toolCall?: SimToolCall;
}

/**
 * Validates a chat body and plans the answer (shared by the HTTP endpoint and batches);
 * `invalidToolCallRate` overrides the simulator's for this request.
 */
export function prepareChat(
  state: SimState,
  raw: unknown,
  overrides: { invalidToolCallRate?: number | undefined } = {},
): PreparedChat | ChatRejection {
  const body = (raw ?? {}) as ChatBody;
  if (typeof body.model !== "string")
    return { status: 400, message: "you must provide a model parameter", param: "model" };
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { status: 400, message: "'messages' must be a non-empty array", param: "messages" };
  }
  const model = findSimModel(body.model);
  if (model?.kind !== "chat") {
    return {
      status: 404,
      message: `The model \`${body.model}\` does not exist or you do not have access to it.`,
      code: "model_not_found",
    };
  }
  const contents = (body.messages as { content?: unknown }[]).map((m) => contentText(m?.content));
  const promptTokens =
    countPromptTokens(contents) +
    toolPromptTokens(body.tools) +
    messagesImageTokens(model.id, body.messages as { content?: unknown }[]);
  const requested = Number(body.max_completion_tokens ?? body.max_tokens ?? 0) || undefined;
  if (promptTokens + (requested ?? 0) > model.contextWindow) {
    return {
      status: 400,
      message: `This model's maximum context length is ${model.contextWindow} tokens. However, you requested ${promptTokens + (requested ?? 0)} tokens.`,
      code: "context_length_exceeded",
      param: "messages",
    };
  }
  const stop =
    typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.map(String) : [];
  const plan = planChat(state, model, {
    prompt: contents.join("\n"),
    promptTokens,
    format: formatOf(body),
    stop,
    maxTokens: Math.min(requested ?? model.maxOutputTokens, model.maxOutputTokens),
    n: Math.max(1, Math.min(8, Number(body.n ?? 1) || 1)),
  });
  const toolCall = plannedToolCall(body as ChatBody & { messages: unknown[] }, {
    model: model.id,
    quality: model.quality,
    invalidRate: overrides.invalidToolCallRate ?? state.invalidToolCallRate,
    prompt: contents.join("\n"),
    seed: state.seed,
    nextId: () => state.nextId("call"),
  });
  if (toolCall) {
    plan.choices = plan.choices.map(() => ({ tokens: [], text: "", finish: "stop" }));
    plan.completionTokens = plan.choices.length * toolCallTokens(toolCall);
  }
  return {
    model,
    plan,
    ...(toolCall ? { toolCall } : {}),
    id: state.nextId("chatcmpl"),
    created: Math.floor(state.clock.now() / 1000),
    top: Number(body.top_logprobs ?? 0),
    logprobs: body.logprobs === true,
  };
}

/** The `chat.completion` object of a prepared request. */
export function completionObject(chat: PreparedChat) {
  const { plan } = chat;
  return {
    id: chat.id,
    object: "chat.completion",
    created: chat.created,
    model: chat.model.id,
    system_fingerprint: "fp_sluice_sim",
    choices: plan.choices.map((c, index) => ({
      index,
      message: chat.toolCall
        ? toolCallMessage(chat.toolCall)
        : { role: "assistant", content: c.text, refusal: null },
      logprobs: chat.logprobs ? logprobsOf(c, chat.top) : null,
      finish_reason: chat.toolCall ? "tool_calls" : c.finish,
    })),
    usage: {
      prompt_tokens: plan.promptTokens,
      completion_tokens: plan.completionTokens,
      total_tokens: plan.promptTokens + plan.completionTokens,
    },
  };
}

// Like the fault headers, lets one request ask for broken tool calls without reconfiguring.
/** The `x-sim-invalid-tool-calls` rate of a request, when it sends a valid one. */
export function invalidRateHeader(ctx: SimRequest): number | undefined {
  const rate = Number(ctx.req.headers["x-sim-invalid-tool-calls"]);
  return rate >= 0 && rate <= 1 ? rate : undefined;
}

/** `POST /v1/chat/completions`. */
export async function chatCompletions(ctx: SimRequest): Promise<void> {
  const { res, state } = ctx;
  const chat = prepareChat(state, ctx.body, { invalidToolCallRate: invalidRateHeader(ctx) });
  if ("status" in chat) {
    return sendError(res, "openai", chat.status, chat.message, {
      ...(chat.code ? { code: chat.code } : {}),
      ...(chat.param ? { param: chat.param } : {}),
    });
  }
  const body = ctx.body as ChatBody;
  if (body.stream === true) {
    return streamChat(ctx, chat.model, chat.plan, {
      id: chat.id,
      created: chat.created,
      top: chat.top,
      logprobs: chat.logprobs,
      usage: body.stream_options?.include_usage === true,
      ...(chat.toolCall ? { toolCall: chat.toolCall } : {}),
    });
  }
  if (ctx.fault.kind === "malformed") {
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end('{"id": "broken", "choices": [');
  }
  const { model, plan } = chat;
  await state.sleep(delayMs(state, model.ttftMs + (plan.completionTokens * 1000) / model.tokensPerSecond));
  sendJson(res, 200, completionObject(chat));
}

async function streamChat(
  ctx: SimRequest,
  model: SimModel,
  plan: ChatPlan,
  meta: {
    id: string;
    created: number;
    top: number;
    logprobs: boolean;
    usage: boolean;
    toolCall?: SimToolCall;
  },
): Promise<void> {
  const { res, state } = ctx;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const base = {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: model.id,
    system_fingerprint: "fp_sluice_sim",
  };
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  if (ctx.fault.kind === "malformed") {
    res.write("data: {not json}\n\n");
    return void res.end();
  }
  const perToken = ctx.fault.kind === "slow" ? 50 : delayMs(state, 1000 / model.tokensPerSecond);
  await state.sleep(delayMs(state, model.ttftMs));
  // A tool-calling answer opens with null content, as OpenAI's does.
  const opening = { role: "assistant", content: meta.toolCall ? null : "" };
  plan.choices.forEach((_, index) => {
    send({ ...base, choices: [{ index, delta: opening, logprobs: null, finish_reason: null }] });
  });
  if (meta.toolCall) return streamToolCall(ctx, plan, meta.toolCall, { base, perToken, usage: meta.usage });
  let sent = 0;
  for (const [index, choice] of plan.choices.entries()) {
    for (const token of choice.tokens) {
      if (ctx.fault.kind === "cut" && sent === 3) {
        // Let the first chunks reach the client, then drop the connection without a proper end.
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (res.destroyed) return;
      const logprobs = meta.logprobs ? logprobsOf({ ...choice, tokens: [token] }, meta.top) : null;
      send({ ...base, choices: [{ index, delta: { content: token.text }, logprobs, finish_reason: null }] });
      sent++;
      if (perToken > 0) await state.sleep(perToken);
    }
    send({ ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: choice.finish }] });
  }
  endStream(res, plan, base, meta.usage);
}

function endStream(res: SimRequest["res"], plan: ChatPlan, base: object, usage: boolean): void {
  if (usage) {
    res.write(
      `data: ${JSON.stringify({
        ...base,
        choices: [],
        usage: {
          prompt_tokens: plan.promptTokens,
          completion_tokens: plan.completionTokens,
          total_tokens: plan.promptTokens + plan.completionTokens,
        },
      })}\n\n`,
    );
  }
  res.end("data: [DONE]\n\n");
}

/** Streams every choice's call: its opening piece, then its arguments, then `tool_calls`. */
async function streamToolCall(
  ctx: SimRequest,
  plan: ChatPlan,
  call: SimToolCall,
  stream: { base: object; perToken: number; usage: boolean },
): Promise<void> {
  const { res, state } = ctx;
  const send = (index: number, delta: object, finish: string | null) =>
    res.write(
      `data: ${JSON.stringify({ ...stream.base, choices: [{ index, delta, logprobs: null, finish_reason: finish }] })}\n\n`,
    );
  let sent = 0;
  for (const index of plan.choices.keys()) {
    for (const piece of toolCallDeltas(call)) {
      if (ctx.fault.kind === "cut" && sent === 3) {
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (res.destroyed) return;
      send(index, { tool_calls: [piece] }, null);
      sent++;
      if (stream.perToken > 0) await state.sleep(stream.perToken);
    }
    send(index, {}, "tool_calls");
  }
  endStream(res, plan, stream.base, stream.usage);
}
