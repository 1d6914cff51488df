import { randomUUID } from "node:crypto";
import { insertJobEvents, insertJobs, insertTenant, type JobEvent } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JobEventHub, startJobEventHub } from "../src/streams/jobEventHub.ts";

const t = useTestDatabase();
let hub: JobEventHub;
const errors: unknown[] = [];
beforeAll(async () => {
  hub = await startJobEventHub({ db: t.db, databaseUrl: t.url, onError: (e) => errors.push(e) });
});
afterAll(() => hub.close());

/** A queued job's row for `insertJobs`. */
const jobRow = (tenantId: string) => ({
  id: randomUUID(),
  tenantId,
  kind: "chat.complete",
  queue: "chat.complete",
  priority: 0,
  payload: "{}",
  maxAttempts: 1,
});

async function newJob(): Promise<{ jobId: string; tenantId: string }> {
  const tenant = await insertTenant(t.db, { name: `hub-${randomUUID()}` });
  const [job] = await insertJobs(t.db, [jobRow(tenant.id)]);
  return { jobId: job!.id, tenantId: tenant.id };
}

describe("the job event hub", () => {
  it("hands a committed event to every subscriber once, over several turns of the event loop", async () => {
    const { jobId, tenantId } = await newJob();
    const received: number[][] = Array.from({ length: 250 }, () => []);
    // Whether the event-loop turn of the first delivery had ended when each delivery ran.
    let firstTurnOver: boolean | undefined;
    const later: boolean[] = [];
    const types: string[] = [];
    const unsubscribe = received.map((list, i) =>
      hub.subscribe(jobId, 0, (events: JobEvent[]) => {
        if (firstTurnOver === undefined) {
          firstTurnOver = false;
          setImmediate(() => {
            firstTurnOver = true;
          });
        }
        later.push(firstTurnOver);
        list.push(...events.map((e) => e.id));
        if (i === 0) types.push(...events.map((e) => e.type));
      }),
    );
    await t.db
      .transaction()
      .execute((tx) => insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress: 1 } }]));
    await expect.poll(() => received.every((r) => r.length > 0), { timeout: 5_000 }).toBe(true);
    // Nothing twice, nobody left out; and the first subscribers did not wait for the last.
    expect(types).toEqual(["progress"]);
    const ids = new Set(received.flat());
    expect(ids.size).toBe(1);
    for (const list of received) expect(list).toHaveLength(1);
    expect(later.filter((l) => !l).length).toBeGreaterThan(0);
    expect(later.filter((l) => l).length).toBeGreaterThan(0);
    for (const u of unsubscribe) u();
    expect(hub.watching).toBe(0);
  });

  it("goes on delivering to the other subscribers when one throws, and reports the error", async () => {
    const { jobId, tenantId } = await newJob();
    const got: string[] = [];
    const unsubscribe = [
      hub.subscribe(jobId, 0, () => {
        throw new Error("subscriber broke");
      }),
      hub.subscribe(jobId, 0, (events) => got.push(...events.map((e) => e.type))),
    ];
    await t.db.transaction().execute((tx) => insertJobEvents(tx, [{ jobId, tenantId, type: "started" }]));
    await expect.poll(() => got).toEqual(["started"]);
    expect(errors).toEqual([expect.objectContaining({ message: "subscriber broke" })]);
    for (const u of unsubscribe) u();
  });

  it("polls only while nothing else has read: a lost notification is still covered, a steady stream adds no polls", async () => {
    const polling = await startJobEventHub({ db: t.db, databaseUrl: t.url, pollMs: 200 });
    try {
      const { jobId, tenantId } = await newJob();
      const received: number[] = [];
      const unsubscribe = polling.subscribe(jobId, 0, (events) => received.push(...events.map((e) => e.id)));
      await expect.poll(() => polling.reads).toBeGreaterThan(0);
      // An event committed without its notification (as while the LISTEN connection was down).
      await sql`insert into job_events (job_id, tenant_id, type, data)
        values (${jobId}, ${tenantId}, 'progress', '{"progress": 1}')`.execute(t.db);
      await expect.poll(() => received.length, { timeout: 2_000 }).toBe(1);
      // Idle: about one poll per interval.
      const idleFrom = polling.reads;
      await new Promise((r) => setTimeout(r, 1_000));
      const idleReads = polling.reads - idleFrom;
      expect(idleReads).toBeGreaterThanOrEqual(3);
      // Notified every 50 ms for two seconds: a read per notification, no polls on top (they would
      // add ten; a slow commit may let one or two through).
      const busyFrom = polling.reads;
      for (let i = 0; i < 40; i++) {
        await t.db
          .transaction()
          .execute((tx) =>
            insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress: i + 2 } }]),
          );
        await new Promise((r) => setTimeout(r, 50));
      }
      await expect.poll(() => received.length, { timeout: 2_000 }).toBe(41);
      expect(polling.reads - busyFrom).toBeLessThanOrEqual(43);
      unsubscribe();
    } finally {
      await polling.close();
    }
  });

  it("reads many jobs in several queries and hands each subscriber its own job's events, once", async () => {
    const tenant = await insertTenant(t.db, { name: `hub-many-${randomUUID()}` });
    const jobs = await insertJobs(
      t.db,
      Array.from({ length: 600 }, () => jobRow(tenant.id)),
    );
    const received = new Map<string, number[]>(jobs.map((j) => [j.id, []]));
    const unsubscribe = jobs.map((j) =>
      hub.subscribe(j.id, 0, (events) => {
        for (const e of events) {
          expect(e.jobId).toBe(j.id);
          received.get(j.id)!.push((e.data as { progress: number }).progress);
        }
      }),
    );
    for (const progress of [1, 2]) {
      await t.db.transaction().execute((tx) =>
        insertJobEvents(
          tx,
          jobs.map((j) => ({
            jobId: j.id,
            tenantId: tenant.id,
            type: "progress" as const,
            data: { progress },
          })),
        ),
      );
      await expect
        .poll(() => [...received.values()].every((r) => r.length === progress), { timeout: 5_000 })
        .toBe(true);
    }
    for (const list of received.values()) expect(list).toEqual([1, 2]);
    for (const u of unsubscribe) u();
  });
});
