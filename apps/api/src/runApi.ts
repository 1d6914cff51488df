import path from "node:path";
import { preloadEncodings, type SluiceConfig } from "@sluice/core";
import { createDb, resolveDatabase } from "@sluice/db";
import { pino } from "pino";
import type { ApiEnv } from "./env.ts";
import { REDACTED_PATHS } from "./logging/httpLogger.ts";
import { startApiServer } from "./server.ts";
import { startApiServices } from "./services.ts";

/** A running API process's parts; `stop()` ends them in order (server, services, pools, database). */
export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

/** Starts the API: database (service or embedded), services, HTTP server. */
export async function runApi(config: SluiceConfig, env: ApiEnv): Promise<RunningApi> {
  // Tokenizer tables take a few hundred ms to load: pay that at start, not on the first request.
  preloadEncodings();
  const resolved = await resolveDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: path.resolve(config.home, "postgres"),
    handleSignals: false,
  });
  const db = createDb(resolved.url, { applicationName: "sluice-api" });
  // Leases, settled spend, the call log and the cache are written all the time; they commit without
  // waiting for the disk flush (see docs/operations.md).
  const hotDb = createDb(resolved.url, { applicationName: "sluice-api-hot", synchronousCommit: false });
  const logger = pino({ level: config.logLevel, redact: REDACTED_PATHS }).child({ process: "api" });
  const { services, close } = await startApiServices(config, {
    db,
    hotDb,
    databaseUrl: resolved.url,
    logger,
    corsOrigins: env.corsOrigins,
  });
  const server = await startApiServer(services, env);
  logger.info({ url: server.url }, "sluice api listening");
  return {
    url: server.url,
    async stop() {
      await server.close();
      await close();
      await hotDb.destroy();
      await db.destroy();
      await resolved.stop();
    },
  };
}
