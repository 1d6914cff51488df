import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../testing/testDatabase.ts";
import { insertJobEvents, JOB_EVENTS_CHANNEL, listEventsOfJobs, listJobEvents } from "./jobEvents.ts";
import { completeJobAttempts, findJob, insertJobs, listJobs } from "./jobs.ts";
import { insertTenant } from "./tenants.ts";

const t = useTestDatabase();

const row = (tenantId: string, payload: unknown, extra: object = {}) => ({
  id: randomUUID(),
  tenantId,
  kind: "chat.complete",
  queue: "chat.complete",
  priority: 0,
  payload: JSON.stringify(payload),
  maxAttempts: 3,
  ...extra,
});

describe("jobs repository", () => {
  it("keeps a payload's own keys (snake_case inside jsonb is not renamed)", async () => {
    const tenant = await insertTenant(t.db, { name: "jobs-json" });
    const payload = { request: { max_tokens: 5, response_format: { type: "json_object" } } };
    const [job] = await insertJobs(t.db, [row(tenant.id, payload)]);
    expect(job?.payload).toEqual(payload);
    expect((await findJob(t.db, job!.id))?.payload).toEqual(payload);
  });

  it("skips a repeated idempotency key per tenant, and allows it for another tenant", async () => {
    const [x, y] = [
      await insertTenant(t.db, { name: "jobs-idem-x" }),
      await insertTenant(t.db, { name: "jobs-idem-y" }),
    ];
    expect(await insertJobs(t.db, [row(x.id, {}, { idempotencyKey: "k" })])).toHaveLength(1);
    expect(await insertJobs(t.db, [row(x.id, {}, { idempotencyKey: "k" })])).toHaveLength(0);
    expect(await insertJobs(t.db, [row(y.id, {}, { idempotencyKey: "k" })])).toHaveLength(1);
  });

  it("pages a tenant's jobs newest first with a cursor, and shows no one else's", async () => {
    const [x, y] = [
      await insertTenant(t.db, { name: "jobs-page-x" }),
      await insertTenant(t.db, { name: "jobs-page-y" }),
    ];
    for (let i = 0; i < 5; i++) await insertJobs(t.db, [row(x.id, { i })]);
    await insertJobs(t.db, [row(y.id, { other: true })]);
    const first = await listJobs(t.db, x.id, { limit: 3 });
    const second = await listJobs(t.db, x.id, { limit: 3, cursor: first.nextCursor! });
    const seen = [...first.items, ...second.items].map((j) => (j.payload as { i: number }).i);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    expect(second.nextCursor).toBeNull();
  });

  it("reads events of many jobs, each after its own position", async () => {
    const tenant = await insertTenant(t.db, { name: "jobs-events" });
    const [a, b] = await insertJobs(t.db, [row(tenant.id, {}), row(tenant.id, {})]);
    await t.db.transaction().execute((tx) =>
      insertJobEvents(tx, [
        { jobId: a!.id, tenantId: tenant.id, type: "queued" },
        { jobId: b!.id, tenantId: tenant.id, type: "queued" },
        { jobId: a!.id, tenantId: tenant.id, type: "started", data: { attempt: 1 } },
      ]),
    );
    const aEvents = await listJobEvents(t.db, a!.id, 0);
    expect(aEvents.map((e) => e.type)).toEqual(["queued", "started"]);
    const after = await listEventsOfJobs(t.db, [
      { jobId: a!.id, afterId: aEvents[0]!.id },
      { jobId: b!.id, afterId: 0 },
    ]);
    expect(after.map((e) => [e.jobId, e.type])).toEqual([
      [b!.id, "queued"],
      [a!.id, "started"],
    ]);
    // Every field as the typed query reads it: names, the Date, the data, nothing more.
    expect(after[1]).toStrictEqual(aEvents[1]);
    expect(after[1]!.createdAt).toBeInstanceOf(Date);
    expect(after[1]!.data).toEqual({ attempt: 1 });
  });

  it("deletes a job's events with the job, and every job and event with its tenant", async () => {
    const [a, b] = [
      await insertTenant(t.db, { name: "jobs-del-a" }),
      await insertTenant(t.db, { name: "jobs-del-b" }),
    ];
    const jobs = await insertJobs(t.db, [row(a.id, {}), row(a.id, {}), row(b.id, {})]);
    await insertJobEvents(
      t.db,
      jobs.flatMap((j) => [
        { jobId: j.id, tenantId: j.tenantId, type: "queued" as const, data: {} },
        { jobId: j.id, tenantId: j.tenantId, type: "started" as const, data: {} },
      ]),
    );
    const eventsOf = async (ids: string[]) =>
      (await t.db.selectFrom("jobEvents").select("jobId").where("jobId", "in", ids).execute()).length;
    // One job deleted: its events go, the others' stay.
    await t.db.deleteFrom("jobs").where("id", "=", jobs[0]!.id).execute();
    expect(await eventsOf([jobs[0]!.id])).toBe(0);
    expect(await eventsOf([jobs[1]!.id, jobs[2]!.id])).toBe(4);
    // A tenant deleted: its jobs and their events go, through the jobs' cascade.
    await t.db.deleteFrom("tenants").where("id", "=", a.id).execute();
    expect(await findJob(t.db, jobs[1]!.id)).toBeUndefined();
    expect(await eventsOf([jobs[1]!.id])).toBe(0);
    expect(await eventsOf([jobs[2]!.id])).toBe(2);
  });

  it("completes attempts with their events, returns only jobs with a webhook, and always announces", async () => {
    const tenant = await insertTenant(t.db, { name: "jobs-complete" });
    const [plain, hooked] = await insertJobs(t.db, [
      row(tenant.id, {}),
      row(tenant.id, {}, { webhookUrl: "https://example.test/hook" }),
    ]);
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on("notification", (n) => notified.push(n.channel));
    await listener.query(`listen ${JOB_EVENTS_CHANNEL}`);
    try {
      const startedAt = new Date(Date.now() - 1_500);
      const finishedAt = new Date();
      const returned = await t.db.transaction().execute((tx) =>
        completeJobAttempts(
          tx,
          [plain!, hooked!].map((j) => ({
            id: j.id,
            attempt: 1,
            result: { ok: j.id },
            finishedAt,
            startedAt,
          })),
        ),
      );
      expect(returned.map((r) => r.id)).toEqual([hooked!.id]);
      expect(returned[0]).toMatchObject({ status: "completed", webhookUrl: "https://example.test/hook" });
      const done = await findJob(t.db, plain!.id);
      expect(done).toMatchObject({
        status: "completed",
        attempts: 1,
        result: { ok: plain!.id },
        progress: 100,
      });
      expect(done?.startedAt?.getTime()).toBe(startedAt.getTime());
      expect(done?.finishedAt?.getTime()).toBe(finishedAt.getTime());
      expect((await listJobEvents(t.db, plain!.id, 0)).map((e) => e.type)).toEqual(["started", "completed"]);
      // No job here has a webhook: nothing comes back, and subscribers still hear of the events.
      const [quiet] = await insertJobs(t.db, [row(tenant.id, {})]);
      notified.length = 0;
      const none = await t.db
        .transaction()
        .execute((tx) =>
          completeJobAttempts(tx, [{ id: quiet!.id, attempt: 1, result: null, finishedAt, startedAt }]),
        );
      expect(none).toEqual([]);
      await expect.poll(() => notified).toContain(JOB_EVENTS_CHANNEL);
    } finally {
      await listener.end();
    }
  });
});
