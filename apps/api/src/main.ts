import path from "node:path";
import {
  createAuthenticator,
  createBudgetGuard,
  createLlmRuntime,
  createRateLimiter,
  loadConfig,
  preloadEncodings,
} from "@sluice/core";
import { createDb, resolveDatabase } from "@sluice/db";
import { pino } from "pino";
import { loadApiEnv } from "./env.ts";
import { REDACTED_PATHS } from "./logging/httpLogger.ts";
import { createApiMetrics } from "./metrics/apiMetrics.ts";
import { startApiServer } from "./server.ts";
import type { ChatStreamData } from "./streams/chatStreamEvents.ts";
import { createStreamHub } from "./streams/streamHub.ts";

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
// Rate windows, budget reservations, the call log and the cache are written on every request;
// they commit without waiting for the disk flush (see docs/operations.md).
const hotDb = createDb(resolved.url, { applicationName: "sluice-api-hot", synchronousCommit: false });
const logger = pino({ level: config.logLevel, redact: REDACTED_PATHS });
const metrics = createApiMetrics();
const runtime = createLlmRuntime(config, hotDb, {
  onCall: metrics.onCall,
  onCascade: metrics.onCascade,
  onCallLogError: (error, rows) => logger.error({ err: error, rows }, "call log rows could not be written"),
});
const services = {
  db,
  runtime,
  auth: createAuthenticator(db),
  rateLimiter: createRateLimiter(hotDb),
  budget: createBudgetGuard(hotDb, {
    onError: (error) => logger.error({ err: error }, "budget spend could not be written; retrying"),
  }),
  logger,
  metrics,
  corsOrigins: env.corsOrigins,
  streams: createStreamHub<ChatStreamData>(),
};
const server = await startApiServer(services, env);
logger.info({ url: server.url }, "sluice api listening");
process.stdout.write(`sluice api listening on ${server.url}\n`);

async function shutdown(): Promise<void> {
  await server.close();
  await Promise.allSettled([services.rateLimiter.close(), services.budget.close()]);
  await runtime.close();
  await hotDb.destroy();
  await db.destroy();
  await resolved.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
