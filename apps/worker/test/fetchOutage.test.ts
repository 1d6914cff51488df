import { createJobCatalog, createJobService, type JobService } from "@sluice/core";
import { createDb, type Db, insertTenant, type JobQueue, listJobEvents, startJobQueue } from "@sluice/db";
import { type CuttableProxy, sql, startCuttableProxy, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Worker } from "../src/engine/worker.ts";
import { testKind } from "./engineHarness.ts";
import { untilStatus } from "./untilStatus.ts";
import { watchedLogger } from "./watchedLogger.ts";

// Everything the worker says to Postgres goes through a proxy that cuts the connections exactly as
// the answer to its fetch (or to that fetch's commit) is on its way back: pg-boss has handed the job
// out, the worker never heard. The job must still run at once, not wait out its attempt's time limit
// (600 s for chat jobs) for pg-boss to expire it. Enqueues and checks use the database directly.
const t = useTestDatabase();

const kind = testKind("test.fetch-outage", {
  timeLimitSeconds: 120,
  softTimeLimitSeconds: 110,
  retryLimit: 0,
});
const catalog = createJobCatalog({}, { [kind.kind]: kind });
let proxy: CuttableProxy;
let proxied: Db;
let queue: JobQueue;
let worker: Worker;
let jobs: JobService;
let scope: { tenantId: string };
const ran = new Map<string, number>();

// The worker has heard its fetch fail: let it reconnect.
const fetchErrors: string[] = [];
const logger = watchedLogger((msg, line) => {
  if (msg !== "fetching jobs failed; retrying") return;
  fetchErrors.push(line.err?.type ?? "");
  proxy.restore();
});

beforeAll(async () => {
  proxy = await startCuttableProxy(t.url);
  proxied = createDb(proxy.url, { max: 4 });
  // Supervising, so an expired attempt would be retried; it must not come to that.
  queue = await startJobQueue({ connectionString: proxy.url, supervise: true, superviseIntervalSeconds: 1 });
  const direct = await startJobQueue({ connectionString: t.url });
  await direct.ensureQueues(catalog.queues());
  jobs = createJobService({ db: t.db, queue: direct, catalog });
  scope = { tenantId: (await insertTenant(t.db, { name: "fetch-outage" })).id };
  worker = await startWorker({
    db: proxied,
    fetchDb: proxied,
    databaseUrl: t.url,
    queue,
    catalog,
    handlers: {
      [kind.kind]: async (_payload, ctx) => {
        ran.set(ctx.job.id, (ran.get(ctx.job.id) ?? 0) + 1);
        return { answer: 42 };
      },
    },
    logger,
    concurrency: 4,
    // Long: the job must run because the worker learns of it, not because a poll happens to find it.
    pollMs: 60_000,
    shutdownGraceMs: 1_000,
    eventRetentionDays: 14,
  });
  afterAll(() => direct.stop({ graceful: false }));
});
afterAll(async () => {
  proxy.restore();
  await worker?.stop();
  await queue.stop({ graceful: false });
  await proxied.destroy();
  await proxy.close();
});

/**
 * Enqueues a job whose payload carries a mark only the worker's fetch sends back, and has the proxy
 * cut on the reply with that mark (then on the replies with `more`, in order).
 */
async function enqueueLosing(...more: string[]) {
  const mark = crypto.randomUUID();
  proxy.cutOnReply(mark, ...more);
  const { job } = await jobs.enqueue(scope, { kind: kind.kind, payload: { mark } });
  return job;
}

async function expectRanOnce(id: string) {
  const done = await untilStatus(jobs, scope, id, ["completed"], 15_000).catch(async (error: Error) => {
    const { rows } =
      await sql`select state, retry_count, started_on from pgboss.job where id = ${id}`.execute(t.db);
    error.message += ` (pg-boss: ${JSON.stringify(rows)})`;
    throw error;
  });
  expect(done).toMatchObject({ status: "completed", attempts: 1, result: { answer: 42 } });
  expect(ran.get(id)).toBe(1);
  expect((await listJobEvents(t.db, id, 0)).map((e) => e.type)).toEqual(["queued", "started", "completed"]);
}

describe("a worker losing the database while it fetches", () => {
  it("runs a job whose fetch ran but whose answer was lost", { timeout: 30_000 }, async () => {
    fetchErrors.length = 0;
    const job = await enqueueLosing();
    await expectRanOnce(job.id);
    // The cut ends every connection: the other fetch loop's fetch, if one was in flight, fails too.
    expect(fetchErrors.length).toBeGreaterThanOrEqual(1);
    expect(fetchErrors).not.toContain("UncertainFetch");
  });

  it("runs a job whose fetch committed but whose commit's answer was lost", { timeout: 30_000 }, async () => {
    fetchErrors.length = 0;
    const job = await enqueueLosing("COMMIT");
    await expectRanOnce(job.id);
    expect(fetchErrors.filter((type) => type === "UncertainFetch")).toHaveLength(1);
  });
});
