import type { ProviderToolCall, ToolCallDelta } from "../providers/provider.ts";

/** Tool calls pieced together from a stream's {@link ToolCallDelta}s, by call index. */
export interface StreamedToolCalls {
  add(delta: ToolCallDelta): void;
  /** The calls so far, in index order. */
  calls(): ProviderToolCall[];
}

/** Collects a draft's streamed tool-call pieces, so the whole calls can be validated when it ends. */
export function collectToolCalls(): StreamedToolCalls {
  const byIndex = new Map<number, ProviderToolCall>();
  return {
    add(delta) {
      const call = byIndex.get(delta.index) ?? { id: "", name: "", arguments: "" };
      if (delta.id) call.id = delta.id;
      if (delta.name) call.name = delta.name;
      call.arguments += delta.arguments;
      byIndex.set(delta.index, call);
    },
    calls: () => [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
  };
}

/** Whole tool calls as stream events: one event per call, carrying its id, name and all its arguments. */
export function toolCallEvents(calls: ProviderToolCall[] | undefined): ToolCallDelta[] {
  return (calls ?? []).map((call, index) => ({
    type: "tool_call",
    index,
    id: call.id,
    name: call.name,
    arguments: call.arguments,
  }));
}
