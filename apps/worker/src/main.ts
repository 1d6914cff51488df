import { loadConfig } from "@sluice/core";
import { loadWorkerEnv } from "./env.ts";
import { runWorker } from "./runWorker.ts";

const running = await runWorker(loadConfig(), loadWorkerEnv());
process.stdout.write(
  `sluice worker started (${running.worker.kinds.join(", ")})${running.metricsUrl ? `, metrics on ${running.metricsUrl}` : ""}\n`,
);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await running.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
