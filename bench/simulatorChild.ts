// Runs a zero-latency simulator in its own process and prints its URL, so benchmarks measure
// the client side without sharing an event loop with the server.
import { startSimulator } from "../packages/simulator/src/index.ts";

const sim = await startSimulator({ port: 0, seed: 1, latency: "none" });
process.stdout.write(`${sim.url}\n`);
process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
