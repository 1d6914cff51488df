import path from "node:path";
import {
  createBudgetGuard,
  createLlmRuntime,
  createRateLimiter,
  loadConfig,
  preloadEncodings,
} from "@sluice/core";
import { createDb, resolveDatabase } from "@sluice/db";
import { loadApiEnv } from "./env.ts";
import { startApiServer } from "./server.ts";

const config = loadConfig();
// Tokenizer tables take a few hundred ms to load: pay that at start, not on the first request.
preloadEncodings();
const env = loadApiEnv();
const resolved = await resolveDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: path.resolve(config.home, "postgres"),
  handleSignals: false,
});
const db = createDb(resolved.url, { applicationName: "sluice-api" });
const runtime = createLlmRuntime(config, db);
const server = await startApiServer(
  { db, runtime, rateLimiter: createRateLimiter(db), budget: createBudgetGuard(db) },
  env,
);
process.stdout.write(`sluice api listening on ${server.url}\n`);

async function shutdown(): Promise<void> {
  await server.close();
  await runtime.close();
  await db.destroy();
  await resolved.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
