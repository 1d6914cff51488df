// Runs a simulator in its own process and prints its URL, so benchmarks measure the client side
// without sharing an event loop with the server. BENCH_SIM_FIXED_MS holds every model call that long.
import { startSimulator } from "../packages/simulator/src/index.ts";

const fixedMs = Number(process.env.BENCH_SIM_FIXED_MS ?? 0);
// BENCH_SIM_BATCH_MS: how long a provider batch stays in progress (validating and finalizing take a tenth).
const batchMs = Number(process.env.BENCH_SIM_BATCH_MS ?? 0);
const sim = await startSimulator({
  port: 0,
  seed: 1,
  latency: fixedMs > 0 ? { fixedMs } : "none",
  ...(batchMs > 0
    ? { batchTimings: { validatingMs: batchMs / 10, inProgressMs: batchMs, finalizingMs: batchMs / 10 } }
    : {}),
});
process.stdout.write(`${sim.url}\n`);
process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
