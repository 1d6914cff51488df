import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessHarness } from "./processHarness.ts";

const t = useTestDatabase();
let h: Awaited<ReturnType<typeof startProcessHarness>>;

beforeAll(async () => {
  h = await startProcessHarness(t, { simulator: { latency: "none" } });
});
afterAll(() => h.close());

const chat = (n: number) => ({
  kind: "chat.complete",
  payload: {
    request: { model: "sim-small", messages: [{ role: "user", content: `job ${n}` }], max_tokens: 5 },
  },
});

describe("scaling by process", () => {
  it("three worker processes complete 1,000 jobs, each exactly once", { timeout: 120_000 }, async () => {
    const ids: string[] = [];
    for (let i = 0; i < 1000; i += 250) {
      const batch = await h.jobs.enqueueMany(
        h.scope,
        Array.from({ length: 250 }, (_, k) => chat(i + k)),
      );
      ids.push(...batch.map((b) => b.job.id));
    }
    const workers = await Promise.all([0, 1, 2].map(() => h.worker({ SLUICE_WORKER_CONCURRENCY: "10" })));
    await expect
      .poll(
        async () =>
          Number(
            (
              await t.db
                .selectFrom("jobs")
                .select((eb) => eb.fn.countAll<number>().as("n"))
                .where("status", "=", "completed")
                .where("id", "in", ids)
                .executeTakeFirstOrThrow()
            ).n,
          ),
        { timeout: 100_000, interval: 250 },
      )
      .toBe(1000);
    await Promise.all(workers.map((w) => w.stop()));
    // Every job started once, completed once, and called its model once.
    const { rows } = await sql<{ starts: number; completions: number; calls: number; attempts: number }>`
      select
        (select count(*) from job_events e where e.job_id = j.id and e.type = 'started')::int as starts,
        (select count(*) from job_events e where e.job_id = j.id and e.type = 'completed')::int as completions,
        (select count(*) from llm_calls c where c.job_id = j.id::text)::int as calls,
        j.attempts
      from jobs j where j.id = any(${ids}::uuid[])`.execute(t.db);
    expect(rows).toHaveLength(1000);
    expect(
      rows.filter((r) => r.starts !== 1 || r.completions !== 1 || r.calls !== 1 || r.attempts !== 1),
    ).toEqual([]);
  });

  it("runs high-priority jobs first when a backlog is waiting", { timeout: 60_000 }, async () => {
    const low = await h.jobs.enqueueMany(
      h.scope,
      Array.from({ length: 60 }, (_, i) => ({ ...chat(i), priority: "low" })),
    );
    const high = await h.jobs.enqueueMany(
      h.scope,
      Array.from({ length: 10 }, (_, i) => ({ ...chat(100 + i), priority: "high" })),
    );
    const worker = await h.worker({ SLUICE_WORKER_CONCURRENCY: "2" });
    const all = [...low, ...high].map((r) => r.job.id);
    await expect
      .poll(
        async () =>
          (await t.db.selectFrom("jobs").select("status").where("id", "in", all).execute()).every(
            (j) => j.status === "completed",
          ),
        { timeout: 50_000, interval: 200 },
      )
      .toBe(true);
    await worker.stop();
    // In the order the worker started them, by its own clock (kept from a job's first attempt). Not
    // by their `started` events: those are written in batches, two at a time, and a batch may insert
    // its events before an earlier one does. Two jobs started in the same millisecond ran side by
    // side; the higher is counted first.
    const order = await t.db
      .selectFrom("jobs")
      .select(["id", "priority"])
      .where("id", "in", all)
      .orderBy("startedAt")
      .orderBy("priority", "desc")
      .execute();
    // The ten high-priority jobs start first: all of them among the first twelve (two slots run side
    // by side, so a low one can start together with the last high one).
    expect(order.slice(0, 12).filter((j) => j.priority === 10)).toHaveLength(10);
    expect(order.slice(0, 8).every((j) => j.priority === 10)).toBe(true);
  });
});
