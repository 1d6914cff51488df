import {
  createApiKey,
  createAuthenticator,
  createBudgetGuard,
  createLlmRuntime,
  createRateLimiter,
  parseConfig,
} from "@sluice/core";
import { type Db, insertTenant } from "@sluice/db";
import { startSimulator } from "@sluice/simulator";
import { type Logger, pino } from "pino";
import { createApiMetrics } from "../src/metrics/apiMetrics.ts";
import { startApiServer } from "../src/server.ts";
import type { ChatStreamData } from "../src/streams/chatStreamEvents.ts";
import { createStreamHub } from "../src/streams/streamHub.ts";

/** A tenant with a key, as tests use them. */
export interface TestTenant {
  id: string;
  key: string;
}

/** A running API over a test database, with the simulator as provider, an admin and two tenants. */
export async function startTestApi(
  db: Db,
  options: {
    tenantLimits?: { rateLimitRpm?: number; dailyBudgetMicros?: number };
    realisticLatency?: boolean;
    /** Where log lines go (default: nowhere). */
    logger?: Logger;
  } = {},
) {
  const simulator = await startSimulator({
    seed: 42,
    latency: options.realisticLatency ? "realistic" : "none",
  });
  const metrics = createApiMetrics();
  const startedAt = Date.now();
  const frozen = { now: () => startedAt };
  const runtime = createLlmRuntime(
    parseConfig({ SLUICE_SIMULATOR_URL: simulator.url, SLUICE_HOME: "/nonexistent-sluice-home" }),
    db,
    { onCall: metrics.onCall, onCascade: metrics.onCascade },
  );
  const services = {
    db,
    runtime,
    auth: createAuthenticator(db),
    // A frozen clock: a test's requests never straddle a rate window or budget day.
    rateLimiter: createRateLimiter(db, { clock: frozen }),
    budget: createBudgetGuard(db, { clock: frozen }),
    logger: options.logger ?? pino({ level: "silent" }),
    metrics,
    corsOrigins: ["https://app.example"],
    streams: createStreamHub<ChatStreamData>(),
  };
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
    close: async () => {
      await api.close();
      await Promise.all([services.rateLimiter.close(), services.budget.close()]);
      await runtime.close();
      await simulator.close();
    },
  };
}

/** The started test API. */
export type TestApi = Awaited<ReturnType<typeof startTestApi>>;
