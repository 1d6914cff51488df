import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createJobCatalog,
  createJobService,
  createOutboundGuard,
  type JobService,
  type PublicJob,
} from "@sluice/core";
import { type Db, insertTenant, type JobQueue, startJobQueue } from "@sluice/db";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "@sluice/simulator";
import { untilStatus } from "./untilStatus.ts";
import { startWorkerProcess, type WorkerProcess } from "./workerProcess.ts";

/** A simulator, a job service and worker processes over a test database. */
export async function startProcessHarness(
  database: { db: Db; url: string },
  options: { simulator?: SimulatorOptions; jobs?: Record<string, object>; env?: Record<string, string> } = {},
) {
  const simulator: RunningSimulator = await startSimulator({ seed: 42, ...options.simulator });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-workers-"));
  const catalog = createJobCatalog(options.jobs as never);
  const queue: JobQueue = await startJobQueue({ connectionString: database.url });
  await queue.ensureQueues(catalog.queues());
  // Webhook URLs are judged here as the workers judge them, by the same setting.
  const outbound = createOutboundGuard({
    allowPrivate: options.env?.SLUICE_ALLOW_PRIVATE_WEBHOOKS === "true",
  });
  const jobs: JobService = createJobService({ db: database.db, queue, catalog, outbound });
  const tenant = await insertTenant(database.db, {
    name: `workers-${Math.random().toString(36).slice(2, 8)}`,
  });
  const processes: WorkerProcess[] = [];
  const env = {
    DATABASE_URL: database.url,
    SLUICE_SIMULATOR_URL: simulator.url,
    SLUICE_HOME: home,
    ...(options.jobs ? { SLUICE_JOBS: JSON.stringify(options.jobs) } : {}),
    ...options.env,
  };
  const scope = { tenantId: tenant.id };
  return {
    simulator,
    jobs,
    tenant,
    scope,
    queue,
    async worker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
      const p = await startWorkerProcess({ ...env, ...extra });
      processes.push(p);
      return p;
    },
    enqueue: async (kind: string, payload: object, extra: object = {}) =>
      (await jobs.enqueue(scope, { kind, payload, ...extra })).job,
    /** Polls until the job reaches one of `statuses`. */
    until: (id: string, statuses: PublicJob["status"][], timeoutMs = 30_000) =>
      untilStatus(jobs, scope, id, statuses, timeoutMs),
    async close() {
      for (const p of processes) p.kill9();
      await Promise.all(processes.map((p) => p.exited));
      await queue.stop({ graceful: false });
      await simulator.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A chat request the simulator answers slowly (realistic latency, a long answer). */
export function slowChat(model = "sim-large", maxTokens = 300) {
  return {
    request: {
      model,
      messages: [{ role: "user", content: "Write a long story about a river, a mill and a miller." }],
      max_tokens: maxTokens,
    },
    stream: true,
  };
}
