import { findSimModel, simModels } from "@sluice/simulator";
import { describe, expect, it } from "vitest";
import { createModelRegistry } from "./modelRegistry.ts";

describe("default registry and the simulator", () => {
  it("agree on the price and context of every model both know", () => {
    const registry = createModelRegistry();
    const shared = simModels.filter((m) => registry.find(m.id));
    expect(shared.length).toBeGreaterThanOrEqual(12);
    for (const sim of shared) {
      const spec = registry.get(sim.id);
      expect(
        [spec.inputMicrosPerMillion, spec.outputMicrosPerMillion, spec.family, spec.kind],
        sim.id,
      ).toEqual([
        Math.round(sim.inputPrice * 1_000_000),
        Math.round(sim.outputPrice * 1_000_000),
        sim.family,
        sim.kind,
      ]);
    }
    expect(findSimModel("sim-large")?.quality).toBeGreaterThan(findSimModel("sim-small")?.quality ?? 1);
  });
});
