import { parseArgs } from "node:util";

/** Settings of a standalone simulator, from flags or `SIMULATOR_*` variables. */
export interface SimulatorEnv {
  port: number;
  host: string;
  seed: number;
  latency: "none" | "realistic";
}

/** Parses flags (`--port`, `--host`, `--seed`, `--latency`) over `SIMULATOR_*` variables. */
export function loadSimulatorEnv(argv = process.argv.slice(2), env = process.env): SimulatorEnv {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      latency: { type: "string" },
    },
  });
  const port = Number(values.port ?? env.SIMULATOR_PORT ?? 4010);
  const seed = Number(values.seed ?? env.SIMULATOR_SEED ?? 42);
  const latency = values.latency ?? env.SIMULATOR_LATENCY ?? "realistic";
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error("invalid configuration: --port / SIMULATOR_PORT must be 0–65535");
  if (!Number.isInteger(seed))
    throw new Error("invalid configuration: --seed / SIMULATOR_SEED must be an integer");
  if (latency !== "none" && latency !== "realistic") {
    throw new Error("invalid configuration: --latency / SIMULATOR_LATENCY must be none or realistic");
  }
  return { port, host: values.host ?? env.SIMULATOR_HOST ?? "127.0.0.1", seed, latency };
}
