import { parseArgs } from "node:util";

/** Settings of a standalone simulator, from flags or `SIMULATOR_*` variables. */
export interface SimulatorEnv {
  port: number;
  host: string;
  seed: number;
  latency: "none" | "realistic";
  /** Chance (0–1) that the weakest models break a tool call's arguments; stronger ones less, the best never. */
  invalidToolCallRate: number;
}

/**
 * Parses flags (`--port`, `--host`, `--seed`, `--latency`, `--invalid-tool-calls`) over `SIMULATOR_*`
 * variables.
 */
export function loadSimulatorEnv(argv = process.argv.slice(2), env = process.env): SimulatorEnv {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      latency: { type: "string" },
      "invalid-tool-calls": { type: "string" },
    },
  });
  const port = Number(values.port ?? env.SIMULATOR_PORT ?? 4010);
  const seed = Number(values.seed ?? env.SIMULATOR_SEED ?? 42);
  const latency = values.latency ?? env.SIMULATOR_LATENCY ?? "realistic";
  const invalidToolCallRate = Number(values["invalid-tool-calls"] ?? env.SIMULATOR_INVALID_TOOL_CALLS ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error("invalid configuration: --port / SIMULATOR_PORT must be 0–65535");
  if (!Number.isInteger(seed))
    throw new Error("invalid configuration: --seed / SIMULATOR_SEED must be an integer");
  if (!(invalidToolCallRate >= 0 && invalidToolCallRate <= 1)) {
    throw new Error(
      "invalid configuration: --invalid-tool-calls / SIMULATOR_INVALID_TOOL_CALLS must be between 0 and 1",
    );
  }
  if (latency !== "none" && latency !== "realistic") {
    throw new Error("invalid configuration: --latency / SIMULATOR_LATENCY must be none or realistic");
  }
  return {
    port,
    host: values.host ?? env.SIMULATOR_HOST ?? "127.0.0.1",
    seed,
    latency,
    invalidToolCallRate,
  };
}
