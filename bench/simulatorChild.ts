// Runs a simulator in its own process and prints its URL, so benchmarks measure the client side
// without sharing an event loop with the server. BENCH_SIM_FIXED_MS holds every model call that long.
import { startSimulator } from "../packages/simulator/src/index.ts";

const fixedMs = Number(process.env.BENCH_SIM_FIXED_MS ?? 0);
const sim = await startSimulator({ port: 0, seed: 1, latency: fixedMs > 0 ? { fixedMs } : "none" });
process.stdout.write(`${sim.url}\n`);
process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
