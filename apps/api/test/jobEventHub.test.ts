import { randomUUID } from "node:crypto";
import {
  createDb,
  insertJobEvents,
  insertJobs,
  insertTenant,
  JOB_EVENTS_CHANNEL,
  type JobEvent,
} from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
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

  it("polls only while nothing has been heard: a lost notification is still covered, a steady stream adds no polls", async () => {
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
      // real time under test: the safety poll's pace over a second of silence.
      await new Promise((r) => setTimeout(r, 1_000));
      const idleReads = polling.reads - idleFrom;
      expect(idleReads).toBeGreaterThanOrEqual(3);
      // Notified every 50 ms for two seconds, each notification carrying its event: no reads, and no
      // polls (they would add ten; a slow commit may let one or two through).
      const busyFrom = polling.reads;
      for (let i = 0; i < 40; i++) {
        await t.db
          .transaction()
          .execute((tx) =>
            insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress: i + 2 } }]),
          );
        // real time under test: a steady stream, heard more often than the poll interval.
        await new Promise((r) => setTimeout(r, 50));
      }
      await expect.poll(() => received.length, { timeout: 2_000 }).toBe(41);
      expect(polling.reads - busyFrom).toBeLessThanOrEqual(3);
      unsubscribe();
    } finally {
      await polling.close();
    }
  });

  it("reads many jobs in several queries and hands each subscriber its own job's events, once", async () => {
    const readsBefore = hub.reads;
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
      // Announced without the events (as the statements that write events of their own do): read.
      await t.db.transaction().execute(async (tx) => {
        await sql`insert into job_events (job_id, tenant_id, type, data)
          select unnest(${jobs.map((j) => j.id)}::uuid[]), ${tenant.id}, 'progress', ${JSON.stringify({ progress })}`.execute(
          tx,
        );
        await sql`select pg_notify(${JOB_EVENTS_CHANNEL}, '')`.execute(tx);
      });
      await expect
        .poll(() => [...received.values()].every((r) => r.length === progress), { timeout: 5_000 })
        .toBe(true);
    }
    for (const list of received.values()) expect(list).toEqual([1, 2]);
    expect(hub.reads - readsBefore).toBeGreaterThanOrEqual(2);
    for (const u of unsubscribe) u();
  });

  it("hands on the events a notification carries without reading the table", async () => {
    const { jobId, tenantId } = await newJob();
    const received: JobEvent[] = [];
    const readsBeforeSubscribing = hub.reads;
    const unsubscribe = hub.subscribe(jobId, 0, (events) => received.push(...events));
    // The subscription's own read (of nothing yet) first.
    await expect.poll(() => hub.reads).toBeGreaterThan(readsBeforeSubscribing);
    const readsBefore = hub.reads;
    for (let i = 1; i <= 5; i++) {
      await t.db
        .transaction()
        .execute((tx) => insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress: i } }]));
    }
    await expect.poll(() => received.length).toBe(5);
    expect(received.map((e) => (e.data as { progress: number }).progress)).toEqual([1, 2, 3, 4, 5]);
    expect(hub.reads).toBe(readsBefore);
    // As the table has them, dates included.
    const stored = await t.db
      .selectFrom("jobEvents")
      .select("createdAt")
      .where("id", "=", received[0]!.id)
      .executeTakeFirstOrThrow();
    expect(received[0]!.createdAt).toBeInstanceOf(Date);
    expect(received[0]!.createdAt.getTime()).toBe(stored.createdAt.getTime());
    unsubscribe();
  });

  it("keeps a job's events in order when a notification to read comes before one that carries events", async () => {
    const { jobId, tenantId } = await newJob();
    const received: number[] = [];
    const readsBefore = hub.reads;
    const unsubscribe = hub.subscribe(jobId, 0, (events) => received.push(...events.map((e) => e.id)));
    // The subscription's own read has started: the rounds come after it.
    await expect.poll(() => hub.reads).toBeGreaterThan(readsBefore);
    for (let round = 0; round < 5; round++) {
      // One event announced for reading, the next carried: both notifications arrive together.
      await t.db.transaction().execute(async (tx) => {
        await sql`insert into job_events (job_id, tenant_id, type, data)
          values (${jobId}, ${tenantId}, 'progress', ${JSON.stringify({ progress: round })})`.execute(tx);
        await sql`select pg_notify(${JOB_EVENTS_CHANNEL}, '')`.execute(tx);
        await insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress: round } }]);
      });
    }
    await expect.poll(() => received.length).toBe(10);
    expect(received).toEqual(received.toSorted((a, b) => a - b));
    expect(new Set(received).size).toBe(10);
    unsubscribe();
  });

  it("hands nothing on after a failed read until a read succeeds, then everything in order", async () => {
    // The hub's queries see a schema without the table until the test creates a view of it there:
    // they fail as they would against a broken database, and then recover.
    const schema = `hub_failing_${randomUUID().replaceAll("-", "")}`;
    const failingDb = createDb(`${t.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`);
    const errorsSeen: unknown[] = [];
    const failing = await startJobEventHub({
      db: failingDb,
      databaseUrl: t.url,
      pollMs: 200,
      onError: (e) => errorsSeen.push(e),
    });
    try {
      const { jobId, tenantId } = await newJob();
      const received: number[] = [];
      const unsubscribe = failing.subscribe(jobId, 0, (events) =>
        received.push(...events.map((e) => (e.data as { progress: number }).progress)),
      );
      await expect.poll(() => errorsSeen.length).toBeGreaterThan(0);
      for (const progress of [1, 2]) {
        await t.db
          .transaction()
          .execute((tx) => insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress } }]));
      }
      // Carried events wait behind the read that failed; retried once per interval, not at once.
      // real time under test: the retries' pace over several intervals.
      await new Promise((r) => setTimeout(r, 700));
      expect(received).toEqual([]);
      expect(failing.reads).toBeLessThanOrEqual(6);
      await sql
        .raw(`create schema ${schema}; create view ${schema}.job_events as select * from public.job_events`)
        .execute(t.db);
      await expect.poll(() => received, { timeout: 3_000 }).toEqual([1, 2]);
      await t.db
        .transaction()
        .execute((tx) => insertJobEvents(tx, [{ jobId, tenantId, type: "progress", data: { progress: 3 } }]));
      await expect.poll(() => received).toEqual([1, 2, 3]);
      unsubscribe();
    } finally {
      await failing.close();
      await failingDb.destroy();
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(t.db);
    }
  });

  it("closes at once while a read that will fail is still under way", async () => {
    // The hub's queries see a view whose rows take half a second and then an error.
    // real time under test: a read still running when the hub closes.
    const schema = `hub_slow_${randomUUID().replaceAll("-", "")}`;
    await sql
      .raw(`create schema ${schema};
      create function ${schema}.fail_slowly() returns setof public.job_events language plpgsql as
        $$ begin perform pg_sleep(0.5); raise exception 'the database is down'; end $$;
      create view ${schema}.job_events as select * from ${schema}.fail_slowly()`)
      .execute(t.db);
    const slowDb = createDb(`${t.url}?options=${encodeURIComponent(`-c search_path=${schema},public`)}`);
    const errorsSeen: unknown[] = [];
    // A retry a minute later: closing must not wait for it.
    const slow = await startJobEventHub({
      db: slowDb,
      databaseUrl: t.url,
      pollMs: 60_000,
      onError: (e) => errorsSeen.push(e),
    });
    try {
      const { jobId } = await newJob();
      slow.subscribe(jobId, 0, () => {});
      const started = performance.now();
      await slow.close();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(errorsSeen).toEqual([expect.objectContaining({ message: "the database is down" })]);
    } finally {
      await slowDb.destroy();
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(t.db);
    }
  });
});
