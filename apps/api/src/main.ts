import path from "node:path";
import { loadConfig, preloadEncodings } from "@sluice/core";
import { createDb, resolveDatabase } from "@sluice/db";
import { pino } from "pino";
import { loadApiEnv } from "./env.ts";
import { REDACTED_PATHS } from "./logging/httpLogger.ts";
import { startApiServer } from "./server.ts";
import { startApiServices } from "./services.ts";

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
// Leases, settled spend, the call log and the cache are written all the time; they commit without
// waiting for the disk flush (see docs/operations.md).
const hotDb = createDb(resolved.url, { applicationName: "sluice-api-hot", synchronousCommit: false });
const logger = pino({ level: config.logLevel, redact: REDACTED_PATHS });
const { services, close } = await startApiServices(config, {
  db,
  hotDb,
  databaseUrl: resolved.url,
  logger,
  corsOrigins: env.corsOrigins,
});
const server = await startApiServer(services, env);
logger.info({ url: server.url }, "sluice api listening");
process.stdout.write(`sluice api listening on ${server.url}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await close();
  await hotDb.destroy();
  await db.destroy();
  await resolved.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
