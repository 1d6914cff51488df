import { createJobCatalog, createJobService } from "@sluice/core";
import { createDb, type Db, insertTenant, type JobQueue, listJobEvents, startJobQueue } from "@sluice/db";
import { type CuttableProxy, startCuttableProxy, useTestDatabase } from "@sluice/db/testing";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Worker } from "../src/engine/worker.ts";
import { testKind } from "./engineHarness.ts";
import { untilStatus } from "./untilStatus.ts";

// The worker's writes go through a TCP proxy to Postgres that the test cuts: the database becomes
// unreachable for the worker's lifecycle writes exactly while a job runs, then comes back.
const t = useTestDatabase();

const kind = testKind("test.outage", { timeLimitSeconds: 30, softTimeLimitSeconds: 25, retryLimit: 0 });
const catalog = createJobCatalog({}, { [kind.kind]: kind });
let proxy: CuttableProxy;
let proxied: Db;
let queue: JobQueue;
let worker: Worker | undefined;

beforeAll(async () => {
  proxy = await startCuttableProxy(t.url);
  proxied = createDb(proxy.url, { max: 4 });
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
});
afterAll(async () => {
  await worker?.stop();
  await queue.stop({ graceful: false });
  await proxied.destroy();
  await proxy.close();
});

describe("a worker losing the database mid-job", () => {
  it("writes the job's start and end once the database is back, long before the attempt expires", {
    timeout: 30_000,
  }, async () => {
    const jobs = createJobService({ db: t.db, queue, catalog });
    const tenant = await insertTenant(t.db, { name: "outage" });
    let ran = 0;
    worker = await startWorker({
      db: proxied,
      databaseUrl: t.url,
      queue,
      catalog,
      handlers: {
        [kind.kind]: async () => {
          ran++;
          // The database goes away before the start mark is written, and is back 1.5 s later; the
          // handler ends while it is still away.
          proxy.cut();
          setTimeout(() => proxy.restore(), 1_500);
          await new Promise((r) => setTimeout(r, 300));
          return { answer: 42 };
        },
      },
      logger: pino({ level: "silent" }),
      concurrency: 4,
      pollMs: 200,
      shutdownGraceMs: 1_000,
      eventRetentionDays: 14,
    });
    const { job } = await jobs.enqueue({ tenantId: tenant.id }, { kind: kind.kind, payload: {} });
    const started = Date.now();
    const done = await untilStatus(jobs, { tenantId: tenant.id }, job.id, ["completed"], 15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: { answer: 42 } });
    expect(ran).toBe(1);
    const events = await listJobEvents(t.db, job.id, 0);
    expect(events.map((e) => e.type)).toEqual(["queued", "started", "completed"]);
    const { rows } = await sql<{ state: string }>`select state from pgboss.job where id = ${job.id}`.execute(
      t.db,
    );
    expect(rows).toEqual([{ state: "completed" }]);
  });
});
