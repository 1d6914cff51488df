/** A `SLUICE_MODELS` entry served by the simulator's `sim-small`, as an operator would configure one. */
export function simulatorModelEntry(id: string, fields: Record<string, unknown> = {}) {
  return {
    id,
    provider: "simulator",
    upstream: "sim-small",
    family: "openai",
    inputMicrosPerMillion: 100_000,
    outputMicrosPerMillion: 400_000,
    contextWindow: 128_000,
    maxOutputTokens: 1_000,
    ...fields,
  };
}

/** `sim-text`: a model that takes text only. */
export const textOnlyModelEntry = simulatorModelEntry("sim-text", { inputs: ["text"] });
