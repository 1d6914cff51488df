import { createDb, type Db, findJob, type JobQueue, listJobEvents, startJobQueue } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createJobCatalog, type JobKindSpec } from "./jobCatalog.ts";
import { createJobLifecycle } from "./jobLifecycle.ts";
import { createJobService } from "./jobService.ts";

const t = useTestDatabase();
const kind: JobKindSpec = {
  kind: "test.lifecycle",
  description: "a job whose writes are checked",
  payload: z.record(z.string(), z.unknown()),
  priority: "default",
  retryLimit: 0,
  retryDelaySeconds: 1,
  retryBackoff: false,
  retryDelayMaxSeconds: 1,
  timeLimitSeconds: 60,
  softTimeLimitSeconds: 60,
  idempotent: true,
};
const catalog = createJobCatalog({}, { [kind.kind]: kind });
let queue: JobQueue;
let db: Db;

beforeAll(async () => {
  // Enough connections for every batch in flight at once.
  db = createDb(t.url, { max: 12 });
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await db.destroy();
});

describe("job lifecycle writes", () => {
  it("keeps each job's start, progress and completion in order across concurrent batches", async () => {
    const jobs = createJobService({ db, queue, catalog });
    const count = 120;
    await jobs.enqueueMany(
      { tenantId: null },
      Array.from({ length: count }, (_, n) => ({ kind: kind.kind, payload: { n } })),
    );
    const fetched = await queue.fetch(kind.kind, count);
    expect(fetched).toHaveLength(count);
    // Tiny batches, many in flight: a job's transitions land in several batches that would race.
    const lifecycle = createJobLifecycle({
      db,
      queue,
      catalog,
      batch: { maxItems: 5, maxWaitMs: 1, parallel: 8 },
    });
    const attempts = [];
    const writes: Promise<void>[] = [];
    // Three jobs at a time, each step for all three: one job's transitions span neighbouring batches.
    for (let i = 0; i < count; i += 3) {
      const group = lifecycle.start(fetched.slice(i, i + 3));
      for (const step of [30, 60])
        for (const a of group) writes.push(lifecycle.progress(a, step, `at ${step}`));
      for (const a of group)
        writes.push(lifecycle.finish(a, { kind: "completed", result: { ok: a.job.id } }));
      attempts.push(...group);
    }
    await Promise.all(writes);
    await lifecycle.flush();

    for (const a of attempts) {
      const row = await findJob(db, a.job.id);
      expect(row).toMatchObject({
        status: "completed",
        progress: 100,
        attempts: 1,
        result: { ok: a.job.id },
      });
      const events = await listJobEvents(db, a.job.id, 0);
      expect(events.map((e) => e.type)).toEqual(["queued", "started", "progress", "progress", "completed"]);
      expect(events.filter((e) => e.type === "progress").map((e) => e.data)).toEqual([
        { progress: 30, message: "at 30" },
        { progress: 60, message: "at 60" },
      ]);
      expect(await queue.jobState(kind.kind, a.job.id)).toBe("completed");
    }
  });
});
