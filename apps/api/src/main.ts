import { loadConfig } from "@sluice/core";
import { loadApiEnv } from "./env.ts";
import { runApi } from "./runApi.ts";

const api = await runApi(loadConfig(), loadApiEnv());
process.stdout.write(`sluice api listening on ${api.url}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await api.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
