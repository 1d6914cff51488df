import {
  createJobCatalog,
  createJobService,
  type JobKindSpec,
  type JobService,
  type PublicJob,
} from "@sluice/core";
import { type Db, insertTenant, type JobQueue, startJobQueue } from "@sluice/db";
import { pino } from "pino";
import { z } from "zod";
import { startWorker, type Worker, type WorkerOptions } from "../src/engine/worker.ts";
import type { JobHandlers } from "../src/handlers/jobHandler.ts";
import { untilStatus } from "./untilStatus.ts";

/** A test kind: fast retries, short limits. */
export function testKind(kind: string, overrides: Partial<JobKindSpec> = {}): JobKindSpec {
  return {
    kind,
    description: `test kind ${kind}`,
    payload: z.record(z.string(), z.unknown()),
    priority: "default",
    retryLimit: 2,
    retryDelaySeconds: 1,
    retryBackoff: false,
    retryDelayMaxSeconds: 1,
    timeLimitSeconds: 30,
    softTimeLimitSeconds: 20,
    idempotent: true,
    ...overrides,
  };
}

/** A queue, a job service and workers over a test database, with test kinds and handlers. */
export async function startEngine(
  db: Db,
  url: string,
  kinds: JobKindSpec[],
  handlers: JobHandlers,
  workerOptions: Partial<WorkerOptions> = {},
) {
  const catalog = createJobCatalog({}, Object.fromEntries(kinds.map((k) => [k.kind, k])));
  const queue: JobQueue = await startJobQueue({
    connectionString: url,
    supervise: true,
    superviseIntervalSeconds: 1,
  });
  await queue.ensureQueues(catalog.queues());
  const jobs: JobService = createJobService({ db, queue, catalog });
  const tenant = await insertTenant(db, { name: `engine-${Math.random().toString(36).slice(2, 8)}` });
  const workers: Worker[] = [];
  const start = async (options: Partial<WorkerOptions> = {}) => {
    const worker = await startWorker({
      db,
      databaseUrl: url,
      queue,
      catalog,
      handlers,
      logger: pino({ level: "silent" }),
      concurrency: 10,
      pollMs: 200,
      shutdownGraceMs: 2_000,
      cancelCheckMs: 500,
      eventRetentionDays: 14,
      ...workerOptions,
      ...options,
    });
    workers.push(worker);
    return worker;
  };
  const scope = { tenantId: tenant.id };
  return {
    catalog,
    queue,
    jobs,
    tenant,
    scope,
    start,
    enqueue: (kind: string, payload: object = {}, extra: object = {}) =>
      jobs.enqueue(scope, { kind, payload, ...extra }).then((r) => r.job),
    /** Polls until the job reaches one of `statuses`. */
    until: (id: string, statuses: PublicJob["status"][], timeoutMs = 15_000) =>
      untilStatus(jobs, scope, id, statuses, timeoutMs),
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await queue.stop({ graceful: false });
    },
  };
}
