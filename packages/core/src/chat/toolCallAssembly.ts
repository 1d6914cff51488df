import type { ProviderToolCall, ToolCallDelta } from "../providers/provider.ts";

/** Joins a stream's tool-call pieces back into whole calls. */
export interface ToolCallAssembly {
  /** Adds one piece: the first of a call brings its id and name, later ones more arguments. */
  add(piece: ToolCallDelta): void;
  /** The calls so far, by index; undefined when the stream made none. */
  calls(): ProviderToolCall[] | undefined;
}

/** Starts joining the tool-call pieces of one streamed choice. */
export function assembleToolCalls(): ToolCallAssembly {
  const byIndex = new Map<number, ProviderToolCall>();
  return {
    add(piece) {
      const call = byIndex.get(piece.index) ?? { id: "", name: "", arguments: "" };
      // Providers send id and name once; a repeat (some compatible servers) replaces, never appends.
      if (piece.id !== undefined) call.id = piece.id;
      if (piece.name !== undefined) call.name = piece.name;
      call.arguments += piece.arguments;
      byIndex.set(piece.index, call);
    },
    calls() {
      if (byIndex.size === 0) return undefined;
      return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, call]) => ({ ...call }));
    },
  };
}
