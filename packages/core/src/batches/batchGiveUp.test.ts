import {
  createDb,
  type Db,
  findBatchById,
  insertBatch,
  insertTenant,
  type JobQueue,
  listJobs,
  startJobQueue,
} from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config/configSchema.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { createJobCatalog } from "../jobs/jobCatalog.ts";
import { createJobService, type JobService } from "../jobs/jobService.ts";
import { createLlmRuntime, type LlmRuntime } from "../llm/llmRuntime.ts";
import {
  type BatchJobAttempt,
  type BatchJobDeps,
  judgeBatchFailure,
  runBatchPollJob,
  runBatchSubmitJob,
} from "./batchGiveUp.ts";

const t = useTestDatabase();
const catalog = createJobCatalog();
const pollAttempts = catalog.get("batch.poll")!.retryLimit + 1;
let db: Db;
let queue: JobQueue;
let jobs: JobService;
let runtime: LlmRuntime;
let deps: BatchJobDeps;

beforeAll(async () => {
  db = createDb(t.url, { max: 4 });
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
  jobs = createJobService({ db, queue, catalog });
  // Nothing listens on port 1: every provider call fails at once as unreachable (retriable).
  runtime = createLlmRuntime(
    parseConfig({ SLUICE_SIMULATOR_URL: "http://127.0.0.1:1", SLUICE_HOME: "/nonexistent-sluice-home" }),
    db,
  );
  deps = { db, jobs, runtime, pollIntervalMs: 1_000 };
});
afterAll(async () => {
  await runtime.close();
  await queue.stop({ graceful: false });
  await db.destroy();
});

/** An attempt whose log lines are kept, to read which way it went. */
function attemptOf(attempt: number, signal = new AbortController().signal) {
  const lines: { level: "warn" | "error"; message: string }[] = [];
  const logger = {
    warn: (_: Record<string, unknown>, message: string) => lines.push({ level: "warn", message }),
    error: (_: Record<string, unknown>, message: string) => lines.push({ level: "error", message }),
  };
  return { attempt: { attempt, signal, logger } satisfies BatchJobAttempt, lines };
}

async function batchAt(model: string, fields: { status: "draft" | "in_progress"; providerBatchId?: string }) {
  const tenant = await insertTenant(db, { name: `give-up-${crypto.randomUUID()}` });
  return insertBatch(db, {
    tenantId: tenant.id,
    name: "give-up",
    provider: "simulator",
    model,
    status: fields.status,
    providerBatchId: fields.providerBatchId ?? null,
  });
}

const pollsOf = async (batchId: string) =>
  (await listJobs(db, undefined, { kind: "batch.poll", limit: 200 })).items.filter(
    (j) => (j.payload as { batchId: string }).batchId === batchId,
  );

describe("judging a failed batch attempt", () => {
  const first = { aborted: false, attempt: 1, maxAttempts: 3 };
  const last = { aborted: false, attempt: 3, maxAttempts: 3 };

  it("gives the attempt back, deciding nothing, when it was cancelled or its worker is stopping", () => {
    expect(judgeBatchFailure(new Error("aborted"), { ...first, aborted: true })).toEqual({
      action: "release",
    });
  });

  it("retries what may pass while attempts remain, database errors as service_unavailable", () => {
    const plain = judgeBatchFailure(new Error("connection reset"), first);
    expect(plain).toMatchObject({
      action: "retry",
      error: { code: "service_unavailable", message: "connection reset" },
    });
    const timeout = new SluiceError("timeout", "slow provider");
    expect(judgeBatchFailure(timeout, first)).toEqual({ action: "retry", error: timeout });
  });

  it("gives up on an error retrying cannot fix, or on the last attempt", () => {
    expect(judgeBatchFailure(new SluiceError("validation_error", "bad"), first)).toEqual({
      action: "giveUp",
      retriable: false,
      code: "validation_error",
    });
    expect(judgeBatchFailure(new SluiceError("timeout", "slow"), last)).toEqual({
      action: "giveUp",
      retriable: true,
      code: "timeout",
    });
    expect(judgeBatchFailure(new Error("boom"), last)).toEqual({
      action: "giveUp",
      retriable: true,
      code: "internal_error",
    });
  });
});

describe("batch jobs that cannot succeed", () => {
  it("fails a batch whose submit cannot succeed, on its first attempt", async () => {
    const batch = await batchAt("no-such-model", { status: "draft" });
    const { attempt, lines } = attemptOf(1);
    expect(await runBatchSubmitJob(deps, { batchId: batch.id, tier: 0 }, attempt)).toEqual({
      gaveUp: "not_found",
    });
    const after = await findBatchById(db, batch.id);
    expect(after?.status).toBe("failed");
    expect(after?.errorMessage).toMatch(/^the batch could not be followed: unknown model "no-such-model"/);
    expect(lines).toEqual([
      { level: "error", message: "batch.submit cannot succeed; giving up on this attempt" },
    ]);
  });

  it("fails a batch whose poll cannot succeed", async () => {
    const batch = await batchAt("no-such-model", { status: "in_progress", providerBatchId: "batch_gone" });
    const { attempt } = attemptOf(1);
    expect(await runBatchPollJob(deps, { batchId: batch.id, seq: 0 }, attempt)).toEqual({
      gaveUp: "not_found",
    });
    expect((await findBatchById(db, batch.id))?.status).toBe("failed");
  });

  it("retries a poll whose provider is unreachable while attempts remain, leaving the batch as it is", async () => {
    const batch = await batchAt("sim-small", { status: "in_progress", providerBatchId: "batch_unreachable" });
    const { attempt, lines } = attemptOf(1);
    await expect(runBatchPollJob(deps, { batchId: batch.id, seq: 0 }, attempt)).rejects.toMatchObject({
      code: "service_unavailable",
    });
    expect(lines).toEqual([{ level: "warn", message: "batch.poll failed; retrying" }]);
    expect((await findBatchById(db, batch.id))?.status).toBe("in_progress");
    expect(await pollsOf(batch.id)).toEqual([]);
  });

  it("polls again much later, without failing the batch, once an unreachable provider outlasts the retries", async () => {
    const batch = await batchAt("sim-small", { status: "in_progress", providerBatchId: "batch_outage" });
    const { attempt } = attemptOf(pollAttempts);
    const before = Date.now();
    expect(await runBatchPollJob(deps, { batchId: batch.id, seq: 0 }, attempt)).toEqual({
      gaveUp: "service_unavailable",
    });
    const after = await findBatchById(db, batch.id);
    expect(after).toMatchObject({ status: "in_progress", pollSeq: 1 });
    const polls = await pollsOf(batch.id);
    expect(polls).toHaveLength(1);
    expect(polls[0]!.payload).toEqual({ batchId: batch.id, seq: 1 });
    // At least a minute later (pollLater's floor), far past the usual interval of a second.
    expect(polls[0]!.runAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
  });

  it("keeps polling, much later, a batch whose last poll attempt was stopped at its time limit", async () => {
    const batch = await batchAt("sim-small", { status: "in_progress", providerBatchId: "batch_slow" });
    const timeLimit = () => {
      const controller = new AbortController();
      controller.abort(new SluiceError("timeout", "the job ran past its time limit of 3 s"));
      return controller.signal;
    };
    // While attempts remain it is retried as the timeout it is, not as the abort it caused.
    const early = attemptOf(1, timeLimit());
    await expect(runBatchPollJob(deps, { batchId: batch.id, seq: 0 }, early.attempt)).rejects.toMatchObject({
      code: "timeout",
    });
    expect(early.lines).toEqual([{ level: "warn", message: "batch.poll failed; retrying" }]);
    expect(await pollsOf(batch.id)).toEqual([]);
    // The last one schedules the next poll: the job ends, the batch's poll chain does not.
    const before = Date.now();
    const last = attemptOf(pollAttempts, timeLimit());
    expect(await runBatchPollJob(deps, { batchId: batch.id, seq: 0 }, last.attempt)).toEqual({
      gaveUp: "timeout",
    });
    expect(await findBatchById(db, batch.id)).toMatchObject({ status: "in_progress", pollSeq: 1 });
    const polls = await pollsOf(batch.id);
    expect(polls.map((p) => p.payload)).toEqual([{ batchId: batch.id, seq: 1 }]);
    expect(polls[0]!.runAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
  });

  it("decides nothing when the attempt was cancelled: the error passes through and the batch stays", async () => {
    const batch = await batchAt("no-such-model", { status: "draft" });
    const controller = new AbortController();
    controller.abort();
    const { attempt, lines } = attemptOf(1, controller.signal);
    await expect(runBatchSubmitJob(deps, { batchId: batch.id, tier: 0 }, attempt)).rejects.toMatchObject({
      code: "not_found",
    });
    expect(lines).toEqual([]);
    expect((await findBatchById(db, batch.id))?.status).toBe("draft");
  });
});
