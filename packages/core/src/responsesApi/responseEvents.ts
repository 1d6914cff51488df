import type { ChatStreamFinish, GuardedStreamEvent } from "../chat/guardedStream.ts";
import type { ToolCallDelta } from "../providers/provider.ts";
import {
  type FunctionCallItem,
  type OutputItem,
  type OutputMessageItem,
  type OutputText,
  type ResponseBase,
  responseObject,
  statusOf,
} from "./responseObject.ts";

/** One server-sent event of a streamed response, numbered in order by `sequence_number`. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

/**
 * Turns guarded-stream events into the Responses event sequence: `response.created`,
 * `response.in_progress`, then per output item `output_item.added` … `output_item.done` (text as
 * `content_part` + `output_text` events, calls as `function_call_arguments` events), and last
 * `response.completed` (or `response.incomplete`). A failure ends it with `response.failed` + `error`.
 */
export function createResponseEventWriter(base: ResponseBase, now: () => number) {
  let sequence = 0;
  let pending: ResponseStreamEvent[] = [];
  const output: OutputItem[] = [];
  let text: OutputMessageItem | undefined;
  const calls = new Map<number, FunctionCallItem>();
  const emit = (type: string, fields: Record<string, unknown> = {}) => {
    pending.push({ type, sequence_number: sequence++, ...fields });
  };
  const flush = () => {
    const events = pending;
    pending = [];
    return events;
  };
  const at = (item: OutputItem) => ({ output_index: output.indexOf(item), item_id: item.id });
  const added = (item: OutputItem) => {
    output.push(item);
    emit("response.output_item.added", { output_index: output.length - 1, item: structuredClone(item) });
  };

  function openText(): OutputMessageItem {
    const item: OutputMessageItem = {
      id: base.ids.message(output.length),
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [],
    };
    added(item);
    item.content.push(emptyText());
    emit("response.content_part.added", { ...at(item), content_index: 0, part: emptyText() });
    text = item;
    return item;
  }

  function closeText(status: OutputMessageItem["status"]): void {
    const item = text;
    if (!item) return;
    text = undefined;
    item.status = status;
    const part = item.content[0] ?? emptyText();
    emit("response.output_text.done", { ...at(item), content_index: 0, text: part.text, logprobs: [] });
    emit("response.content_part.done", { ...at(item), content_index: 0, part: structuredClone(part) });
    emit("response.output_item.done", { output_index: output.indexOf(item), item: structuredClone(item) });
  }

  function onText(delta: string): void {
    if (delta === "") return;
    const item = text ?? openText();
    const part = item.content[0] ?? emptyText();
    part.text += delta;
    emit("response.output_text.delta", { ...at(item), content_index: 0, delta, logprobs: [] });
  }

  function onCallPiece(piece: ToolCallDelta): void {
    let call = calls.get(piece.index);
    if (!call) {
      if (piece.id === undefined || piece.name === undefined)
        throw new Error(`tool call ${piece.index} streamed arguments before its id and name`);
      closeText("completed");
      call = {
        id: base.ids.functionCall(output.length),
        type: "function_call",
        call_id: piece.id,
        name: piece.name,
        arguments: "",
        status: "in_progress",
      };
      calls.set(piece.index, call);
      added(call);
    }
    if (piece.arguments === "") return;
    call.arguments += piece.arguments;
    emit("response.function_call_arguments.delta", { ...at(call), delta: piece.arguments });
  }

  function closeCalls(status: FunctionCallItem["status"]): void {
    for (const call of calls.values()) {
      if (call.status !== "in_progress") continue;
      call.status = status;
      emit("response.function_call_arguments.done", {
        ...at(call),
        name: call.name,
        arguments: call.arguments,
      });
      emit("response.output_item.done", { output_index: output.indexOf(call), item: structuredClone(call) });
    }
  }

  function onDone(finish: ChatStreamFinish): void {
    const state = statusOf(finish.finishReason);
    closeText(state.status);
    closeCalls(state.status);
    const response = responseObject(base, {
      ...state,
      output: structuredClone(output),
      usage: finish.usage,
      completedAt: Math.floor(now() / 1000),
      sluice: base.extension({ ...finish, cacheHit: false }),
    });
    emit(state.status === "completed" ? "response.completed" : "response.incomplete", { response });
  }

  return {
    /** The opening events, sent once the stream is admitted. */
    start(): ResponseStreamEvent[] {
      const response = responseObject(base, { status: "in_progress", output: [] });
      emit("response.created", { response });
      emit("response.in_progress", { response });
      return flush();
    },
    /** The events one guarded-stream event becomes (none for cascade bookkeeping). */
    next(source: GuardedStreamEvent): ResponseStreamEvent[] {
      if (source.type === "delta") onText(source.text);
      else if (source.type === "tool_call") onCallPiece(source);
      else if (source.type === "done") onDone(source.finish);
      return flush();
    },
    /** The closing events of a stream that failed after it began. */
    fail(error: { code: string; message: string }): ResponseStreamEvent[] {
      pending = [];
      const response = responseObject(base, { status: "failed", output: structuredClone(output), error });
      emit("response.failed", { response });
      emit("error", { code: error.code, message: error.message, param: null });
      return flush();
    },
  };
}

const emptyText = (): OutputText => ({ type: "output_text", text: "", annotations: [], logprobs: [] });
