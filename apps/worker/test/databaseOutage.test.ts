import { createJobCatalog, createJobService, type JobService, SluiceError } from "@sluice/core";
import { createDb, type Db, insertTenant, type JobQueue, listJobEvents, startJobQueue } from "@sluice/db";
import { type CuttableProxy, sql, startCuttableProxy, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Worker } from "../src/engine/worker.ts";
import { testKind } from "./engineHarness.ts";
import { untilStatus } from "./untilStatus.ts";
import { watchedLogger } from "./watchedLogger.ts";

// The worker's writes go through a TCP proxy to Postgres that the test cuts: the database becomes
// unreachable for the worker's lifecycle writes exactly while a job runs, and comes back once the
// worker has said it is retrying the attempt's end (so the start mark was lost for certain).
const t = useTestDatabase();

const completes = testKind("test.outage", { timeLimitSeconds: 30, softTimeLimitSeconds: 25, retryLimit: 0 });
const retries = testKind("test.outage-retry", {
  timeLimitSeconds: 30,
  softTimeLimitSeconds: 25,
  retryLimit: 1,
  retryDelaySeconds: 1,
});
const fails = testKind("test.outage-fail", { timeLimitSeconds: 30, softTimeLimitSeconds: 25, retryLimit: 0 });
const catalog = createJobCatalog({}, Object.fromEntries([completes, retries, fails].map((k) => [k.kind, k])));
let proxy: CuttableProxy;
let proxied: Db;
let queue: JobQueue;
let worker: Worker;
let jobs: JobService;
let scope: { tenantId: string };
const ran = new Map<string, number>();

/** The worker retrying an attempt's end means every write since the cut has failed: reconnect. */
const RETRYING_END = "the database is unreachable; retrying the end of a job attempt";
const logger = watchedLogger((msg) => {
  if (msg === RETRYING_END) proxy.restore();
});

function count(jobId: string): number {
  const n = (ran.get(jobId) ?? 0) + 1;
  ran.set(jobId, n);
  return n;
}

beforeAll(async () => {
  proxy = await startCuttableProxy(t.url);
  proxied = createDb(proxy.url, { max: 4 });
  queue = await startJobQueue({ connectionString: t.url, supervise: true, superviseIntervalSeconds: 1 });
  await queue.ensureQueues(catalog.queues());
  jobs = createJobService({ db: t.db, queue, catalog });
  scope = { tenantId: (await insertTenant(t.db, { name: "outage" })).id };
  worker = await startWorker({
    db: proxied,
    databaseUrl: t.url,
    queue,
    catalog,
    handlers: {
      // Cut before the start mark is written (it is batched); ends while the database is away.
      [completes.kind]: async (_payload, ctx) => {
        count(ctx.job.id);
        proxy.cut();
        return { answer: 42 };
      },
      // The first attempt's own query meets the outage: a raw driver error, not a SluiceError.
      [retries.kind]: async (_payload, ctx) => {
        if (count(ctx.job.id) > 1) return { answer: 43 };
        proxy.cut();
        await sql`select 1`.execute(proxied);
        return { unreachable: true };
      },
      [fails.kind]: async (_payload, ctx) => {
        count(ctx.job.id);
        proxy.cut();
        throw new SluiceError("validation_error", "this job cannot succeed", { retriable: false });
      },
    },
    logger,
    concurrency: 4,
    pollMs: 200,
    shutdownGraceMs: 1_000,
    eventRetentionDays: 14,
  });
});
afterAll(async () => {
  proxy.restore();
  await worker?.stop();
  await queue.stop({ graceful: false });
  await proxied.destroy();
  await proxy.close();
});

async function queueState(id: string) {
  const { rows } = await sql<{ state: string; retryCount: number }>`
    select state, retry_count from pgboss.job where id = ${id} and name not like '%dead%'`.execute(t.db);
  return rows;
}

async function eventTypes(id: string): Promise<string[]> {
  return (await listJobEvents(t.db, id, 0)).map((e) => e.type);
}

describe("a worker losing the database mid-job", () => {
  it("writes the job's start and end once the database is back, long before the attempt expires", {
    timeout: 30_000,
  }, async () => {
    const { job } = await jobs.enqueue(scope, { kind: completes.kind, payload: {} });
    const started = Date.now();
    const done = await untilStatus(jobs, scope, job.id, ["completed"], 15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { answer: 42 } });
    expect(ran.get(job.id)).toBe(1);
    expect(await eventTypes(job.id)).toEqual(["queued", "started", "completed"]);
    expect(await queueState(job.id)).toEqual([{ state: "completed", retryCount: 0 }]);
  });

  it("retries an attempt whose handler met the outage, and records the failed attempt's start", {
    timeout: 30_000,
  }, async () => {
    const { job } = await jobs.enqueue(scope, { kind: retries.kind, payload: {} });
    const done = await untilStatus(jobs, scope, job.id, ["completed", "dead"], 20_000);
    expect(done).toMatchObject({ status: "completed", attempts: 2, result: { answer: 43 } });
    expect(ran.get(job.id)).toBe(2);
    expect(await eventTypes(job.id)).toEqual(["queued", "started", "failed", "started", "completed"]);
    expect(await queueState(job.id)).toEqual([{ state: "completed", retryCount: 1 }]);
  });

  it("records a failure whose start mark was lost: dead in the mirror as in pg-boss, not left queued", {
    timeout: 30_000,
  }, async () => {
    const { job } = await jobs.enqueue(scope, { kind: fails.kind, payload: {} });
    const done = await untilStatus(jobs, scope, job.id, ["dead"], 15_000);
    expect(done).toMatchObject({ status: "dead", attempts: 1 });
    expect(ran.get(job.id)).toBe(1);
    expect(await eventTypes(job.id)).toEqual(["queued", "started", "dead"]);
    expect(await queueState(job.id)).toEqual([{ state: "failed", retryCount: 0 }]);
  });
});
