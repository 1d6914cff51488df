import { randomUUID } from "node:crypto";
import { createTestClock } from "@sluice/core/testing";
import { insertFile, insertFileChunk, insertTenant } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startMaintenance } from "../src/engine/maintenance.ts";

const t = useTestDatabase();
const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe("worker maintenance", () => {
  it("deletes job events past retention, settled budget leases of past days and old rate windows, keeping the rest", async () => {
    const tenant = await insertTenant(t.db, { name: "upkeep" });
    // Mid-day on the test clock: every cutoff below is judged on it, not on the wall clock.
    const clock = createTestClock(Date.UTC(2026, 5, 15, 12));
    const now = clock.now();
    const jobId = randomUUID();
    await t.db
      .insertInto("jobs")
      .values({
        id: jobId,
        tenantId: tenant.id,
        kind: "test.upkeep",
        queue: "test.upkeep",
        priority: 0,
        payload: JSON.stringify({}),
        maxAttempts: 1,
        runAt: new Date(now),
        updatedAt: new Date(now),
      })
      .execute();
    await sql`insert into job_events (job_id, tenant_id, type, created_at) values
      (${jobId}, ${tenant.id}, 'queued', ${new Date(now - 20 * DAY)}),
      (${jobId}, ${tenant.id}, 'started', ${new Date(now - 1 * DAY)})`.execute(t.db);
    const lease = (day: string, reservedMicros: number) => ({
      tenantId: tenant.id,
      day,
      holder: randomUUID(),
      reservedMicros,
      expiresAt: new Date(now),
    });
    await t.db
      .insertInto("budgetLeases")
      .values([
        lease(isoDay(now - 5 * DAY), 0),
        // Still holding a reservation: kept, whatever its day.
        lease(isoDay(now - 5 * DAY), 7),
        lease(isoDay(now - 1 * DAY), 0),
        lease(isoDay(now), 0),
      ])
      .execute();
    await t.db
      .insertInto("rateLimitWindows")
      .values([
        { tenantId: tenant.id, windowStart: new Date(now - 2 * 3_600_000), requests: 3, tokens: 30 },
        { tenantId: tenant.id, windowStart: new Date(now - 60_000), requests: 1, tokens: 10 },
      ])
      .execute();

    const maintenance = startMaintenance({
      db: t.db,
      queues: [],
      eventRetentionDays: 14,
      logger: pino({ level: "silent" }),
      retentionCheckMs: 60_000,
      clock,
    });
    try {
      clock.advance(60_000);
      await expect
        .poll(async () => (await t.db.selectFrom("jobEvents").select("type").execute()).map((e) => e.type))
        .toEqual(["started"]);
      await expect
        .poll(async () =>
          (
            await t.db
              .selectFrom("budgetLeases")
              .select([sql<string>`day::text`.as("day"), "reservedMicros"])
              .orderBy("day")
              .orderBy("reservedMicros")
              .execute()
          ).map((l) => `${l.day}:${l.reservedMicros}`),
        )
        .toEqual([`${isoDay(now - 5 * DAY)}:7`, `${isoDay(now - 1 * DAY)}:0`, `${isoDay(now)}:0`]);
      await expect
        .poll(async () => (await t.db.selectFrom("rateLimitWindows").select("requests").execute()).length)
        .toBe(1);
    } finally {
      maintenance.stop();
    }
  });

  it("deletes uploads left unfinished for over an hour, with their content, keeping recent and whole files", async () => {
    const tenant = await insertTenant(t.db, { name: "uploads" });
    const clock = createTestClock(Date.UTC(2026, 5, 15, 12));
    const now = clock.now();
    const file = async (filename: string, status: "uploaded" | "processed", ageMs: number) => {
      const row = await insertFile(t.db, {
        tenantId: tenant.id,
        purpose: "batch",
        filename,
        status,
        createdAt: new Date(now - ageMs),
      });
      await insertFileChunk(t.db, row.id, 0, Buffer.from(filename));
      return row.id;
    };
    const cutOff = await file("cut-off.jsonl", "uploaded", 2 * 3_600_000);
    await file("uploading.jsonl", "uploaded", 10 * 60_000);
    await file("whole.jsonl", "processed", 2 * 3_600_000);

    const maintenance = startMaintenance({
      db: t.db,
      queues: [],
      eventRetentionDays: 14,
      logger: pino({ level: "silent" }),
      retentionCheckMs: 60_000,
      clock,
    });
    try {
      clock.advance(60_000);
      await expect
        .poll(async () =>
          (await t.db.selectFrom("files").select("filename").orderBy("filename").execute()).map(
            (f) => f.filename,
          ),
        )
        .toEqual(["uploading.jsonl", "whole.jsonl"]);
      const chunks = await t.db
        .selectFrom("fileChunks")
        .select("fileId")
        .where("fileId", "=", cutOff)
        .execute();
      expect(chunks).toEqual([]);
    } finally {
      maintenance.stop();
    }
  });
});
