import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApiKey, type HostResolver, parseConfig } from "@sluice/core";
import {
  createDb,
  type Db,
  type EmbeddedPostgres,
  insertTenant,
  installQueueSchema,
  migrateToLatest,
  startEmbeddedPostgres,
  startJobQueue,
} from "@sluice/db";
import { startSimulator } from "@sluice/simulator";
import { createHandlers, startWorker } from "@sluice/worker";
import { type Logger, pino } from "pino";
import { startApiServer } from "../src/server.ts";
import { startApiServices } from "../src/services.ts";

export {
  eventSourceClient,
  eventSourceSubscriptionLink,
  type TestClientOptions,
} from "./support/trpcClients.ts";

/** A tenant with a key, as tests use them. */
export interface TestTenant {
  id: string;
  key: string;
}

/** A running API over a test database, with the simulator as provider, an admin and two tenants. */
export async function startTestApi(
  database: { db: Db; url: string },
  options: {
    tenantLimits?: { rateLimitRpm?: number; dailyBudgetMicros?: number };
    realisticLatency?: boolean;
    /** Where log lines go (default: nowhere). */
    logger?: Logger;
    /** Extra configuration variables. */
    env?: Record<string, string>;
    /** Also run a worker in this process (real handlers, real pg-boss). */
    worker?: boolean | { concurrency?: number; batchPollMs?: number };
    /** How long the simulator's provider batches take in each phase. */
    batchTimings?: { validatingMs?: number; inProgressMs?: number; finalizingMs?: number };
    /** Resolves webhook hosts, for the API and its in-process worker (the system resolver if unset). */
    resolveHost?: HostResolver;
  } = {},
) {
  const { db } = database;
  const simulator = await startSimulator({
    seed: 42,
    latency: options.realisticLatency ? "realistic" : "none",
    ...(options.batchTimings ? { batchTimings: options.batchTimings } : {}),
  });
  const startedAt = Date.now();
  const { services, close: closeServices } = await startApiServices(
    parseConfig({
      SLUICE_SIMULATOR_URL: simulator.url,
      SLUICE_HOME: "/nonexistent-sluice-home",
      ...(options.env ?? {}),
    }),
    {
      db,
      hotDb: db,
      databaseUrl: database.url,
      logger: options.logger ?? pino({ level: "silent" }),
      corsOrigins: ["https://app.example"],
      // A frozen clock: a test's requests never straddle a rate window or budget day.
      clock: { now: () => startedAt },
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    },
  );
  const worker = options.worker
    ? await startTestWorker(database, services, typeof options.worker === "object" ? options.worker : {})
    : undefined;
  const api = await startApiServer(services, { host: "127.0.0.1", port: 0 });
  const suffix = Math.random().toString(36).slice(2, 8);
  const tenant = async (name: string, role: "tenant" | "admin", limits = {}): Promise<TestTenant> => {
    const t = await insertTenant(db, { name: `${name}-${suffix}`, ...limits });
    return { id: t.id, key: (await createApiKey(db, { tenantId: t.id, role })).plaintext };
  };
  return {
    url: api.url,
    admin: await tenant("admin", "admin"),
    a: await tenant("tenant-a", "tenant", options.tenantLimits ?? {}),
    b: await tenant("tenant-b", "tenant"),
    tenant,
    /** Stops only the HTTP server (graceful), leaving the rest for `close`. */
    stopServer: () => api.close(),
    services,
    simulator,
    close: async () => {
      await api.close();
      await worker?.stop();
      await closeServices();
      await simulator.close();
    },
  };
}

/** The started test API. */
export type TestApi = Awaited<ReturnType<typeof startTestApi>>;

/** A worker in the test process over the API's runtime and limits, with its own supervising queue. */
async function startTestWorker(
  database: { db: Db; url: string },
  services: Awaited<ReturnType<typeof startApiServices>>["services"],
  options: { concurrency?: number; batchPollMs?: number },
) {
  const queue = await startJobQueue({
    connectionString: database.url,
    supervise: true,
    superviseIntervalSeconds: 1,
  });
  const worker = await startWorker({
    db: database.db,
    databaseUrl: database.url,
    queue,
    catalog: services.jobs.catalog,
    handlers: createHandlers({
      db: database.db,
      runtime: services.runtime,
      rateLimiter: services.rateLimiter,
      budget: services.budget,
      jobs: services.jobs,
      // Deliveries judge webhook URLs as the API does: same setting, same resolver.
      outbound: services.jobs.outbound,
      batchPollMs: options.batchPollMs ?? 1_000,
    }),
    logger: pino({ level: "silent" }),
    concurrency: options.concurrency ?? 10,
    pollMs: 200,
    shutdownGraceMs: 2_000,
    eventRetentionDays: 14,
  });
  return {
    async stop() {
      await worker.stop();
      await queue.stop({ graceful: false });
    },
  };
}

/**
 * A test API over its own embedded Postgres, for tests that stop and restart the database.
 * `restart()` starts it again on the same data and port; `close()` stops everything.
 */
export async function startTestApiOnEmbeddedPostgres(options: Parameters<typeof startTestApi>[1] = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-embedded-api-"));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, "pg");
  let server: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  // While the server is down a connection is refused at once; the timeout only bounds a connect the
  // server is slow to answer, which on a loaded two-core machine can take over a second.
  const db = createDb(server.urlFor("sluice"), { connectionTimeoutMillis: 4_000 });
  await migrateToLatest(db);
  await installQueueSchema(db);
  const api = await startTestApi({ db, url: server.urlFor("sluice") }, options);
  return {
    api,
    db,
    stopDatabase: () => server.stop(),
    async restartDatabase() {
      server = await startEmbeddedPostgres({ dataDir, port: server.port, ephemeral: true });
    },
    async close() {
      await api.close();
      await db.destroy();
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
