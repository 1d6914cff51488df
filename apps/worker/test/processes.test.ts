import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slowChat, startProcessHarness } from "./processHarness.ts";

const t = useTestDatabase();
let h: Awaited<ReturnType<typeof startProcessHarness>>;

beforeAll(async () => {
  h = await startProcessHarness(t, {
    simulator: { latency: "realistic" },
    // Short limits so a killed worker's attempt expires within seconds.
    jobs: {
      "chat.complete": {
        timeLimitSeconds: 6,
        softTimeLimitSeconds: 5,
        retryDelaySeconds: 1,
        retryBackoff: false,
      },
    },
  });
});
afterAll(() => h.close());

const eventTypes = async (id: string) => (await h.jobs.events(h.scope, id)).map((e) => e.type);

describe("worker processes", () => {
  it("cancel stops an active job blocked on a slow streaming model call within a second, without a retry", async () => {
    const worker = await h.worker();
    const job = await h.enqueue("chat.complete", slowChat("sim-large", 600));
    await h.until(job.id, ["active"]);
    // The model call is under way: the simulator is streaming its answer.
    await expect.poll(() => h.simulator.openRequests, { timeout: 5_000 }).toBe(1);
    const cancelledAt = Date.now();
    await h.jobs.cancel(h.scope, job.id);
    // The upstream stream is aborted: the call log records it as aborted.
    await expect
      .poll(
        () =>
          t.db.selectFrom("llmCalls").select(["status", "createdAt"]).where("jobId", "=", job.id).execute(),
        { timeout: 3_000, interval: 50 },
      )
      .toMatchObject([{ status: "aborted" }]);
    const [call] = await t.db
      .selectFrom("llmCalls")
      .select("createdAt")
      .where("jobId", "=", job.id)
      .execute();
    expect(call!.createdAt.getTime() - cancelledAt).toBeLessThan(1_000);
    // A graceful stop ends once the worker has handled the cancelled job and written what it holds.
    await worker.stop();
    // Cancelled in pg-boss too: no retry is scheduled, nothing is left to run it again.
    expect(await h.queue.jobState("chat.complete", job.id)).toBe("cancelled");
    expect(await h.jobs.get(h.scope, job.id)).toMatchObject({ status: "cancelled", attempts: 1 });
    expect(await eventTypes(job.id)).toEqual(["queued", "started", "cancelled"]);
  });

  it("after kill -9 of a worker mid-job, a second worker process completes it, writing its effect once", {
    timeout: 60_000,
  }, async () => {
    const first = await h.worker();
    const job = await h.enqueue("chat.complete", slowChat("sim-medium", 150));
    await h.until(job.id, ["active"]);
    first.kill9();
    await first.exited;
    const second = await h.worker();
    const done = await h.until(job.id, ["completed", "dead"], 40_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${second.output()}`);
    });
    expect(done).toMatchObject({ status: "completed", attempts: 2 });
    const types = await eventTypes(job.id);
    expect(types.filter((x) => x === "completed")).toHaveLength(1);
    expect(types.filter((x) => x === "started")).toHaveLength(2);
    // The call log is written in batches: wait for the second worker's row, then check there is one.
    const okCalls = () =>
      t.db
        .selectFrom("llmCalls")
        .select("status")
        .where("jobId", "=", job.id)
        .where("status", "=", "ok")
        .execute();
    await expect.poll(async () => (await okCalls()).length, { timeout: 5_000 }).toBe(1);
    // A graceful stop writes whatever the call log still holds: a second row would be there now.
    await second.stop();
    expect(await okCalls()).toHaveLength(1);
  });

  it("SIGTERM lets the grace period pass, then gives the running job back with its attempt refunded", async () => {
    const worker = await h.worker({ SLUICE_WORKER_SHUTDOWN_GRACE_MS: "300" });
    const job = await h.enqueue("chat.complete", slowChat("sim-large", 400));
    await h.until(job.id, ["active"]);
    expect(await worker.stop()).toBe(0);
    const back = await h.jobs.get(h.scope, job.id);
    expect(back).toMatchObject({ status: "queued", maxAttempts: 5 });
    const next = await h.worker();
    expect(await h.until(job.id, ["completed", "dead"], 40_000)).toMatchObject({ status: "completed" });
    await next.stop();
  });

  it("retries after a provider failure and then succeeds", async () => {
    const worker = await h.worker();
    h.simulator.setFaults({ "500": 1 });
    const job = await h.enqueue("chat.complete", slowChat("sim-small", 5));
    await expect
      .poll(async () => (await h.jobs.get(h.scope, job.id)).status, { timeout: 20_000 })
      .toBe("failed");
    h.simulator.setFaults({});
    const done = await h.until(job.id, ["completed", "dead"]);
    expect(done).toMatchObject({ status: "completed", attempts: 2 });
    await worker.stop();
  });

  it("a job that died is requeued from dead letters and then completes", { timeout: 60_000 }, async () => {
    const worker = await h.worker();
    h.simulator.setFaults({ "500": 1 });
    const job = await h.enqueue("chat.complete", slowChat("sim-small", 5));
    const dead = await h.until(job.id, ["dead", "completed"], 40_000);
    expect(dead).toMatchObject({ status: "dead", attempts: 4 });
    expect(["model_error", "service_unavailable"]).toContain(dead.error?.code);
    // The cause is fixed; a new worker (its circuit breakers closed) takes the requeued job.
    await worker.stop();
    h.simulator.setFaults({});
    const next = await h.worker();
    const { createDeadLetterService, createJobCatalog } = await import("@sluice/core");
    const deadLetters = createDeadLetterService({ db: t.db, queue: h.queue, catalog: createJobCatalog() });
    expect((await deadLetters.list({ kind: "chat.complete" })).items.map((j) => j.id)).toContain(job.id);
    const { requeued } = await deadLetters.requeue({ all: true, kind: "chat.complete" });
    expect(requeued.map((r) => r.from)).toContain(job.id);
    const again = requeued.find((r) => r.from === job.id)!.job;
    expect(again.requeuedFrom).toBe(job.id);
    expect(await h.until(again.id, ["completed", "dead"])).toMatchObject({
      status: "completed",
      attempts: 1,
    });
    expect((await deadLetters.list({ kind: "chat.complete" })).items.map((j) => j.id)).not.toContain(job.id);
    expect((await h.jobs.events(h.scope, job.id)).at(-1)).toMatchObject({
      type: "requeued",
      data: { newJobId: again.id },
    });
    await next.stop();
  });
});
