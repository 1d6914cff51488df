import os from "node:os";
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { pino } from "pino";
import { z } from "zod";
import { startWorker } from "../apps/worker/src/engine/worker.ts";
import { createJobCatalog, createJobService, type JobKindSpec } from "../packages/core/src/index.ts";
import {
  createDb,
  insertTenant,
  installQueueSchema,
  migrateToLatest,
  startJobQueue,
} from "../packages/db/src/index.ts";
import { cpuMeter, percentile } from "./benchStats.ts";
import {
  benchServer,
  completedInMirror,
  completedInQueue,
  staleStatistics,
  withClient,
} from "./jobsDatabase.ts";

const ASYNC_COMMIT = "-c synchronous_commit=off";
const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const SLUICE_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 400);
const SLUICE_BATCH = Number(process.env.BENCH_BATCH ?? 200);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 100);
const server = await benchServer();

interface Result {
  name: string;
  jobs: number;
  enqueueMs: number;
  drainMs: number;
  /** CPU µs per job during the drain: Postgres (all its processes) and this process. */
  cpu?: { postgres: number; node: number };
  note?: string;
}

const noopKind: JobKindSpec = {
  kind: "bench.noop",
  description: "does nothing",
  payload: z.record(z.string(), z.unknown()),
  priority: "default",
  retryLimit: 2,
  retryDelaySeconds: 1,
  retryBackoff: false,
  retryDelayMaxSeconds: 1,
  timeLimitSeconds: 300,
  softTimeLimitSeconds: 300,
  idempotent: true,
};

async function sluice(options: { stale?: boolean; name: string }): Promise<Result> {
  const url = await server.database("sluice");
  const db = createDb(url, { max: 10 });
  // As `sluice worker` runs: job transitions commit without waiting for the WAL flush.
  const hotDb = createDb(url, { max: 10, synchronousCommit: false });
  await migrateToLatest(db);
  await installQueueSchema(db);
  const catalog = createJobCatalog({}, { [noopKind.kind]: noopKind });
  const queue = await startJobQueue({ connectionString: url, synchronousCommit: false });
  await queue.ensureQueues(catalog.queues());
  if (options.stale) await staleStatistics(url);
  const jobs = createJobService({ db, queue, catalog });
  const tenant = await insertTenant(db, { name: "bench" });
  const enqueueStart = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    await jobs.enqueueMany(
      { tenantId: tenant.id },
      Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
        kind: noopKind.kind,
        payload: { n: i + k },
      })),
    );
  }
  const enqueueMs = performance.now() - enqueueStart;
  let done = 0;
  let failed = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let onStart: ((at: number) => void) | undefined;
  const meter = cpuMeter();
  const drainStart = performance.now();
  const worker = await startWorker({
    db: hotDb,
    databaseUrl: url,
    queue,
    catalog,
    handlers: {
      [noopKind.kind]: async () => {
        onStart?.(performance.now());
        return null;
      },
    },
    logger: pino({ level: "silent" }),
    concurrency: SLUICE_CONCURRENCY,
    batchSize: SLUICE_BATCH,
    ...(process.env.BENCH_FETCHERS ? { fetchers: Number(process.env.BENCH_FETCHERS) } : {}),
    batch: {
      ...(process.env.BENCH_WAIT ? { maxWaitMs: Number(process.env.BENCH_WAIT) } : {}),
      ...(process.env.BENCH_PARALLEL ? { parallel: Number(process.env.BENCH_PARALLEL) } : {}),
    },
    pollMs: 2000,
    shutdownGraceMs: 1000,
    eventRetentionDays: 14,
    onEnd: (_attempt, end) => {
      if (end.kind !== "completed") failed++;
      if (++done === JOBS) resolveDone();
    },
  });
  await finished;
  const drainMs = performance.now() - drainStart;
  const cpu = meter(JOBS);
  // Every job must be completed, in the mirror and in pg-boss: a drain that failed is no result.
  const counted = await withClient(url, async (c) => ({
    mirror: await completedInMirror(c),
    queue: await completedInQueue(c),
  }));
  if (failed > 0 || counted.mirror !== JOBS || counted.queue !== JOBS)
    throw new Error(
      `Sluice drain incomplete: ${failed} attempts failed; completed ${JSON.stringify(counted)}`,
    );
  let note = "";
  if (!options.stale) {
    // Idle pick-up: one job at a time, enqueue to handler start.
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await new Promise((r) => setTimeout(r, 30));
      const at = new Promise<number>((resolve) => {
        onStart = resolve;
      });
      const sent = performance.now();
      await jobs.enqueue({ tenantId: tenant.id }, { kind: noopKind.kind, payload: {} });
      samples.push((await at) - sent);
    }
    note = `pick-up p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms`;
  }
  await worker.stop();
  await queue.stop({ graceful: false });
  await hotDb.destroy();
  await db.destroy();
  return { name: options.name, jobs: JOBS, enqueueMs, drainMs, cpu, note };
}

async function rawBoss(options: {
  name: string;
  batchSize: number;
  localConcurrency: number;
  burst?: boolean;
  stale?: boolean;
  jobs?: number;
  listenNotify?: boolean;
}): Promise<Result> {
  const url = await server.database("boss");
  const n = options.jobs ?? JOBS;
  const boss = new PgBoss({
    connectionString: url,
    // The same commit setting as Sluice's job transitions, so neither waits for the disk.
    options: ASYNC_COMMIT,
    supervise: false,
    schedule: false,
    useListenNotify: options.listenNotify ?? false,
  });
  boss.on("error", () => {});
  await boss.start();
  await boss.createQueue("noop", { notify: options.listenNotify ?? false });
  if (options.stale) await staleStatistics(url);
  const enqueueStart = performance.now();
  for (let i = 0; i < n; i += 1000) {
    await boss.insert(
      "noop",
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ data: { n: i + k } })),
    );
  }
  const enqueueMs = performance.now() - enqueueStart;
  let done = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const probe = new pg.Client(url);
  await probe.connect();
  const meter = cpuMeter();
  const drainStart = performance.now();
  await boss.work(
    "noop",
    {
      batchSize: options.batchSize,
      localConcurrency: options.localConcurrency,
      pollingIntervalSeconds: 0.5,
      ...(options.burst ? { burstWhenBatchFull: true } : {}),
    },
    async (jobs) => {
      done += jobs.length;
      if (done >= n) resolveDone();
    },
  );
  await finished;
  // The last handlers have returned; the jobs count once pg-boss has marked them completed.
  while ((await completedInQueue(probe)) < n) await new Promise((r) => setTimeout(r, 1));
  const drainMs = performance.now() - drainStart;
  await probe.end();
  const cpu = meter(n);
  let note = "";
  if (options.listenNotify !== undefined) {
    // Idle pick-up with this configuration.
    await boss.createQueue("probe", { notify: options.listenNotify });
    const samples: number[] = [];
    let started: ((at: number) => void) | undefined;
    await boss.work("probe", { pollingIntervalSeconds: 2 }, async () => started?.(performance.now()));
    for (let i = 0; i < Math.min(LATENCY_SAMPLES, options.listenNotify ? LATENCY_SAMPLES : 20); i++) {
      await new Promise((r) => setTimeout(r, 30));
      const at = new Promise<number>((resolve) => {
        started = resolve;
      });
      const sent = performance.now();
      await boss.send("probe", {});
      samples.push((await at) - sent);
    }
    note = `pick-up p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms`;
  }
  await boss.stop({ graceful: false, close: true });
  return { name: options.name, jobs: n, enqueueMs, drainMs, cpu, note };
}

async function graphile(): Promise<Result> {
  const url = await server.database("graphile");
  let done = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let drainStart = 0;
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  const enqueueStart = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    await utils.addJobs(
      Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
        identifier: "noop",
        payload: { n: i + k },
      })),
    );
  }
  const enqueueMs = performance.now() - enqueueStart;
  const meter = cpuMeter();
  drainStart = performance.now();
  const pgPool = new pg.Pool({ connectionString: url, max: 10, options: ASYNC_COMMIT });
  const runner = await runGraphile({
    pgPool,
    concurrency: 20,
    noHandleSignals: true,
    pollInterval: 500,
    logger: new Logger(() => () => {}),
    taskList: {
      noop: async () => {
        if (++done === JOBS) resolveDone();
      },
    },
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } } as never,
  });
  await finished;
  const drainMs = performance.now() - drainStart;
  const cpu = meter(JOBS);
  await runner.stop();
  await utils.release();
  await pgPool.end();
  return {
    name: "graphile-worker 0.18 (concurrency 20, local queue 500)",
    jobs: JOBS,
    enqueueMs,
    drainMs,
    cpu,
  };
}

/** The best raw pg-boss configuration measured here. */
const bestBoss = () =>
  rawBoss({
    name: "pg-boss: batchSize 50 + burst, 4 local workers",
    batchSize: 50,
    localConcurrency: 4,
    burst: true,
  });
const sluiceWorker = () =>
  sluice({
    name: `Sluice worker (mirror + events, concurrency ${SLUICE_CONCURRENCY}, fetch ${SLUICE_BATCH})`,
  });

const results: Result[] = [];
const only = process.env.BENCH_ONLY;
try {
  if (only === "pair") {
    // The best raw pg-boss configuration and Sluice, alternating, for a quick ratio.
    for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 3); round++) {
      results.push(await bestBoss());
      results.push(await sluiceWorker());
    }
    throw new Error("done");
  }
  if (only === "sluice") {
    results.push(await sluiceWorker());
    throw new Error("done");
  }
  results.push(
    await rawBoss({
      name: "pg-boss: batchSize 1 × 20 local workers",
      batchSize: 1,
      localConcurrency: 20,
      jobs: 400,
    }),
  );
  results.push(
    await rawBoss({ name: "pg-boss: batchSize 50", batchSize: 50, localConcurrency: 1, jobs: 1000 }),
  );
  results.push(
    await rawBoss({
      name: "pg-boss: batchSize 50 + burstWhenBatchFull",
      batchSize: 50,
      localConcurrency: 1,
      burst: true,
    }),
  );
  results.push(await bestBoss());
  results.push(await graphile());
  results.push(await sluiceWorker());
  results.push(
    await rawBoss({
      name: "pg-boss: polling only (idle pick-up)",
      batchSize: 50,
      localConcurrency: 1,
      burst: true,
      jobs: 1000,
      listenNotify: false,
    }),
  );
  results.push(
    await rawBoss({
      name: "pg-boss: useListenNotify (idle pick-up)",
      batchSize: 50,
      localConcurrency: 1,
      burst: true,
      jobs: 1000,
      listenNotify: true,
    }),
  );
  results.push(
    await rawBoss({
      name: "pg-boss best, statistics stale (analyzed empty)",
      batchSize: 50,
      localConcurrency: 1,
      burst: true,
      stale: true,
    }),
  );
  results.push(await sluice({ name: "Sluice worker, statistics stale (analyzed empty)", stale: true }));
} catch (error) {
  if ((error as Error).message !== "done") throw error;
} finally {
  await server.close();
}

console.log(
  `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}), ${JOBS} no-op jobs per target`,
);
console.log(
  "| target | jobs | enqueue | drain | jobs/s (drain) | CPU per job: Postgres / worker | notes |\n|---|---|---|---|---|---|---|",
);
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.jobs} | ${(r.enqueueMs / 1000).toFixed(2)} s | ${(r.drainMs / 1000).toFixed(2)} s | ${Math.round((r.jobs / r.drainMs) * 1000)} | ${r.cpu ? `${r.cpu.postgres.toFixed(0)} / ${r.cpu.node.toFixed(0)} µs` : ""} | ${r.note ?? ""} |`,
  );
}
