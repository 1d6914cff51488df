import {
  type BatchService,
  type BatchWorkDeps,
  createBatchService,
  createJobCatalog,
  createJobService,
  createLlmRuntime,
  type JobService,
  type LlmRuntime,
  parseConfig,
  pollBatch,
  submitBatch,
} from "@sluice/core";
import { createTestClock } from "@sluice/core/testing";
import { insertTenant, type JobQueue, lockBatch, startJobQueue } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import {
  type ManualClock,
  manualClock,
  type RunningSimulator,
  startSimulator,
  ticketDataset,
} from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The batch jobs' steps run here one at a time against a simulator whose clock only moves when told:
// the interleavings that a worker meets by chance are set up on purpose.
const t = useTestDatabase();
let clock: ManualClock;
let simulator: RunningSimulator;
let queue: JobQueue;
let jobs: JobService;
let runtime: LlmRuntime;
let batches: BatchService;
let scope: { tenantId: string };
let deps: BatchWorkDeps;

beforeAll(async () => {
  clock = manualClock();
  simulator = await startSimulator({
    seed: 42,
    clock,
    batchTimings: { validatingMs: 10, inProgressMs: 100, finalizingMs: 10 },
  });
  const catalog = createJobCatalog();
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
  jobs = createJobService({ db: t.db, queue, catalog });
  runtime = createLlmRuntime(
    parseConfig({ SLUICE_SIMULATOR_URL: simulator.url, SLUICE_HOME: "/nonexistent-sluice-home" }),
    t.db,
  );
  batches = createBatchService({ db: t.db, jobs, runtime });
  scope = { tenantId: (await insertTenant(t.db, { name: "processor" })).id };
  deps = { db: t.db, jobs, runtime, pollIntervalMs: 50, signal: new AbortController().signal };
});
afterAll(async () => {
  await runtime.close();
  await queue.stop({ graceful: false });
  await simulator.close();
});

/** The simulator's provider batches that carry this batch's id (OpenAI wire, newest first). */
async function providerBatchesOf(batchId: string): Promise<{ id: string; status: string }[]> {
  const response = await fetch(`${simulator.url}/v1/batches?limit=100`, {
    headers: { authorization: "Bearer test" },
  });
  const page = (await response.json()) as {
    data: { id: string; status: string; metadata: Record<string, string> | null }[];
  };
  return page.data.filter((b) => b.metadata?.sluice_batch_id === batchId);
}

const pollSeq = async (id: string) =>
  (await t.db.selectFrom("batches").select("pollSeq").where("id", "=", id).executeTakeFirstOrThrow()).pollSeq;

const cascadeRequests = () =>
  ticketDataset(42)
    .slice(0, 30)
    .map((ticket, i) => ({
      customId: `t-${i}`,
      body: {
        messages: [
          {
            role: "system",
            content: "Classify the ticket as JSON {urgency, category, confidence, suggested_response}.",
          },
          { role: "user", content: `Subject: ${ticket.subject}\n\n${ticket.body}` },
        ],
        response_format: { type: "json_object" },
        max_tokens: 200,
      },
    }));

describe("batch jobs, step by step", () => {
  it("a cascade cancelled after its first tier ended sends no next tier: rejected drafts are kept, marked", async () => {
    const created = await batches.create(scope, {
      name: "cancel between tiers",
      model: "cascade:simulator",
      requests: cascadeRequests(),
      submit: true,
    });
    await submitBatch(deps, { batchId: created.id, tier: 0 });
    clock.advance(1_000); // tier 0 has ended at the provider
    await batches.cancel(scope, created.id);
    const result = await pollBatch(deps, { batchId: created.id, seq: await pollSeq(created.id) });
    expect(result.status).toBe("cancelled");
    const batch = await batches.get(scope, created.id);
    expect(batch).toMatchObject({ status: "cancelled", tier: 0, counts: { total: 30, succeeded: 30 } });
    const responses = (await batches.listResponses(scope, created.id, { limit: 100 })).items;
    const rejected = responses.filter((r) => !r.attempts[0]!.accepted);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of responses) expect(r.attempts).toHaveLength(1);
    for (const r of rejected)
      expect(r.attempts[0]!.reason).toMatch(/not escalated: the batch was cancelled$/);
    expect(responses.reduce((sum, r) => sum + r.costMicros, 0)).toBe(batch.costMicros);
    // No second provider batch: nothing waits at tier 1, and its submit finds nothing to send.
    expect(
      await t.db
        .selectFrom("batchRequests")
        .select("customId")
        .where("batchId", "=", created.id)
        .where("tier", "=", 1)
        .execute(),
    ).toEqual([]);
    expect(await submitBatch(deps, { batchId: created.id, tier: 1 })).toMatchObject({ status: "cancelled" });
  });

  it("a poll that read a tier the batch has left changes nothing and schedules no further poll", async () => {
    const created = await batches.create(scope, {
      name: "stale poll",
      model: "sim-small",
      requests: [{ customId: "a", body: { messages: [{ role: "user", content: "hi" }] } }],
      submit: true,
    });
    await submitBatch(deps, { batchId: created.id, tier: 0 });
    const stale = await pollSeq(created.id);
    clock.advance(20); // in progress
    expect((await pollBatch(deps, { batchId: created.id, seq: stale })).status).toBe("in_progress");
    // The same poll again (its job retried): the chain has moved on, so nothing new is scheduled.
    const seqAfter = await pollSeq(created.id);
    await pollBatch(deps, { batchId: created.id, seq: stale });
    expect(await pollSeq(created.id)).toBe(seqAfter);
    clock.advance(1_000);
    expect((await pollBatch(deps, { batchId: created.id, seq: seqAfter })).status).toBe("completed");
    expect((await batches.get(scope, created.id)).counts).toMatchObject({ total: 1, succeeded: 1 });
    // A poll arriving after the end leaves the finished batch alone.
    expect((await pollBatch(deps, { batchId: created.id, seq: seqAfter })).status).toBe("completed");
  });

  it("racing submits of a tier keep one provider batch, cancel the other, and all return the kept id", async () => {
    const created = await batches.create(scope, {
      name: "double submit",
      model: "sim-small",
      requests: [{ customId: "a", body: { messages: [{ role: "user", content: "hi" }] } }],
      submit: true,
    });
    // The batch's row lock is held here until both runs have created their provider batch: each run
    // read the batch before the other recorded anything, so the two overlap every time, not by chance.
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    const { promise: lockTaken, resolve: tookLock } = Promise.withResolvers<void>();
    const holder = t.db.transaction().execute(async (tx) => {
      await lockBatch(tx, created.id);
      tookLock();
      await held;
    });
    await lockTaken;
    const runs = Promise.all([
      submitBatch(deps, { batchId: created.id, tier: 0 }),
      submitBatch(deps, { batchId: created.id, tier: 0 }),
    ]);
    await expect.poll(async () => (await providerBatchesOf(created.id)).length).toBe(2);
    release();
    await holder;
    const [first, second] = await runs;
    const kept = (await batches.get(scope, created.id)).providerBatchId;
    expect(kept).toEqual(expect.any(String));
    // Whichever run won, both report the provider batch the batch kept.
    expect([first.providerBatchId, second.providerBatchId]).toEqual([kept, kept]);
    const atProvider = await providerBatchesOf(created.id);
    expect(atProvider.find((b) => b.id === kept)?.status).not.toMatch(/^cancel/);
    expect(atProvider.filter((b) => b.id !== kept).map((b) => b.status)).toEqual([
      expect.stringMatching(/^cancel/),
    ]);
    // A run after the race changes nothing and reports the same id.
    expect((await submitBatch(deps, { batchId: created.id, tier: 0 })).providerBatchId).toBe(kept);
    expect(await providerBatchesOf(created.id)).toHaveLength(2);
  });

  it("schedules the next poll at the injected clock's now plus the poll interval", async () => {
    const sluiceClock = createTestClock(Date.UTC(2031, 2, 4, 5, 6, 7));
    const created = await batches.create(scope, {
      name: "poll on the clock",
      model: "sim-small",
      requests: cascadeRequests().slice(0, 2),
      submit: true,
    });
    await submitBatch({ ...deps, clock: sluiceClock }, { batchId: created.id, tier: 0 });
    const polls = await t.db
      .selectFrom("jobs")
      .select("runAt")
      .where("kind", "=", "batch.poll")
      .where(sql<boolean>`payload->>'batchId' = ${created.id}`)
      .execute();
    expect(polls.map((p) => p.runAt.getTime())).toEqual([sluiceClock.now() + deps.pollIntervalMs]);
  });
});
