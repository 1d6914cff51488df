import { loadSimulatorEnv } from "./env.ts";
import { startSimulator } from "./server.ts";

let env: ReturnType<typeof loadSimulatorEnv>;
try {
  env = loadSimulatorEnv();
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(2);
}
const simulator = await startSimulator(env);
process.stdout.write(
  `sluice simulator listening on ${simulator.url} (seed ${env.seed}, latency ${env.latency})\n`,
);
const stop = () => void simulator.close().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
