import { describe, expect, it } from "vitest";
import { assembleToolCalls } from "./toolCallAssembly.ts";

describe("assembleToolCalls", () => {
  it("joins interleaved pieces of parallel calls into whole calls, in index order", () => {
    const assembly = assembleToolCalls();
    assembly.add({ type: "tool_call", index: 1, id: "b", name: "get_time", arguments: "" });
    assembly.add({ type: "tool_call", index: 0, id: "a", name: "get_weather", arguments: '{"ci' });
    assembly.add({ type: "tool_call", index: 1, arguments: "{}" });
    assembly.add({ type: "tool_call", index: 0, arguments: 'ty":"Oslo"}' });
    expect(assembly.calls()).toEqual([
      { id: "a", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { id: "b", name: "get_time", arguments: "{}" },
    ]);
  });

  it("has no calls for a stream that made none", () => {
    expect(assembleToolCalls().calls()).toBeUndefined();
  });
});
