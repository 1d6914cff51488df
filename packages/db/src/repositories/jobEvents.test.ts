import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../testing/testDatabase.ts";
import {
  insertJobEvents,
  JOB_EVENTS_CHANNEL,
  listEventsOfJobs,
  parseJobEventsNotification,
} from "./jobEvents.ts";
import { insertJobs } from "./jobs.ts";
import { insertTenant } from "./tenants.ts";

const t = useTestDatabase();
let listener: pg.Client;
const payloads: string[] = [];
beforeAll(async () => {
  listener = new pg.Client({ connectionString: t.url });
  await listener.connect();
  listener.on("notification", (n) => payloads.push(n.payload ?? ""));
  await listener.query(`listen ${JOB_EVENTS_CHANNEL}`);
});
afterAll(() => listener.end());

async function newJobs(count: number): Promise<{ tenantId: string; jobIds: string[] }> {
  const tenant = await insertTenant(t.db, { name: `events-${randomUUID()}` });
  const jobs = await insertJobs(
    t.db,
    Array.from({ length: count }, () => ({
      id: randomUUID(),
      tenantId: tenant.id,
      kind: "chat.complete",
      queue: "chat.complete",
      priority: 0,
      payload: "{}",
      maxAttempts: 1,
    })),
  );
  return { tenantId: tenant.id, jobIds: jobs.map((j) => j.id) };
}

/** The notifications one statement of `insertJobEvents` sends, once they have all arrived. */
async function announced(write: () => Promise<void>): Promise<string[]> {
  payloads.length = 0;
  await write();
  // A round trip on the listening connection: every notification sent before it has arrived.
  await listener.query("select 1");
  return [...payloads];
}

describe("job events announced with their notifications", () => {
  it("carries each event as the table reads it, every job's events in one notification in id order", async () => {
    const { tenantId, jobIds } = await newJobs(300);
    const got = await announced(() =>
      t.db.transaction().execute((tx) =>
        insertJobEvents(
          tx,
          jobIds.flatMap((jobId, i) => [
            { jobId, tenantId, type: "progress" as const, data: { progress: i % 100, message: `step ${i}` } },
            {
              jobId,
              tenantId,
              type: "progress" as const,
              data: { progress: 100, nested: { a: [1, "two", null] } },
            },
          ]),
        ),
      ),
    );
    // 600 events do not fit one payload: several notifications, each within Postgres's limit.
    expect(got.length).toBeGreaterThan(1);
    for (const p of got) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const carried = got.map((p) => parseJobEventsNotification(p));
    expect(carried.every((c) => c !== undefined)).toBe(true);
    const read = await listEventsOfJobs(
      t.db,
      jobIds.map((jobId) => ({ jobId, afterId: 0 })),
    );
    const all = carried.flatMap((c) => c!);
    expect(all.toSorted((a, b) => a.id - b.id)).toStrictEqual(read);
    // Serialized alike, key order included: what a stream writes of either is the same text.
    expect(JSON.stringify(all.toSorted((a, b) => a.id - b.id))).toBe(JSON.stringify(read));
    for (const jobId of jobIds) {
      const holding = carried.filter((c) => c!.some((e) => e.jobId === jobId));
      expect(holding).toHaveLength(1);
      const ids = holding[0]!.filter((e) => e.jobId === jobId).map((e) => e.id);
      expect(ids).toEqual(ids.toSorted((a, b) => a - b));
      expect(ids).toHaveLength(2);
    }
  });

  it("announces a job whose events are too large to carry with an empty payload, and carries the rest", async () => {
    const { tenantId, jobIds } = await newJobs(2);
    const [big, small] = jobIds as [string, string];
    const got = await announced(() =>
      t.db.transaction().execute((tx) =>
        insertJobEvents(tx, [
          { jobId: big, tenantId, type: "progress", data: { message: "x".repeat(9000) } },
          { jobId: small, tenantId, type: "progress", data: { progress: 5 } },
        ]),
      ),
    );
    const carried = got.map((p) => parseJobEventsNotification(p));
    // The small one may share the empty payload (read from the table then) or travel on its own.
    expect(got).toContain("");
    expect(carried.flatMap((c) => c ?? []).every((e) => e.jobId === small)).toBe(true);
    expect(carried.flatMap((c) => c ?? []).some((e) => e.jobId === big)).toBe(false);
  });

  it("takes anything else for a notification without events", () => {
    const event = {
      id: 7,
      jobId: randomUUID(),
      tenantId: null,
      type: "progress",
      data: { progress: 1 },
      createdAt: 1_764_625_200_123,
    };
    expect(parseJobEventsNotification(JSON.stringify([event]))).toStrictEqual([
      { ...event, createdAt: new Date(1_764_625_200_123) },
    ]);
    for (const bad of [
      "",
      "not json",
      "{}",
      "null",
      JSON.stringify([null]),
      JSON.stringify([{ ...event, id: "7" }]),
      JSON.stringify([{ ...event, id: 2 ** 60 }]),
      JSON.stringify([{ ...event, jobId: undefined }]),
      JSON.stringify([{ ...event, tenantId: 5 }]),
      JSON.stringify([{ ...event, type: null }]),
      JSON.stringify([{ ...event, data: null }]),
      JSON.stringify([{ ...event, createdAt: "2026-12-01T00:00:00Z" }]),
    ])
      expect(parseJobEventsNotification(bad), bad).toBeUndefined();
  });
});
