import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { request, useBatchHarness } from "./batchHarness.ts";

const t = useTestDatabase();
// Slow enough at the provider that a cancel or a kill lands while it validates, or mid-run.
const harness = useBatchHarness(t, { validatingMs: 1_500, inProgressMs: 3_000, finalizingMs: 150 });
const { untilBatch, allResponses, expectExactCosts, expectOneResponseEach } = harness;

const MODELS = ["sim-small", "claude-haiku-4-5"];

/**
 * Waits until the provider has worked through part of the batch. OpenAI counts requests done while
 * a batch runs; Anthropic counts nothing until the batch ends, so for it the wait follows the
 * simulator's clock: past validating (1.5 s) and about a third into its 3 s run.
 */
async function untilPartlyWorkedThrough(model: string, id: string): Promise<void> {
  await untilBatch(id, ["in_progress"]);
  if (model.startsWith("claude")) {
    // real time under test: the simulator's batch phases run on the wall clock in these process
    // tests, and an Anthropic batch shows no progress before it ends, so only time says it is mid-run.
    await new Promise((r) => setTimeout(r, 2_600));
    return;
  }
  await expect
    .poll(async () => (await harness.batches.get(harness.h.scope, id)).atProvider.done, {
      timeout: 10_000,
      interval: 20,
    })
    .toBeGreaterThan(0);
}

describe("provider batches cancelled or restarted while at the provider", () => {
  it.each(MODELS)(
    "cancels a %s batch before its provider has run anything: every request ends cancelled",
    async (model) => {
      const worker = await harness.h.worker();
      const created = await harness.batches.create(harness.h.scope, {
        name: "cancel me",
        model,
        requests: [request(1), request(2), request(3)],
        submit: true,
      });
      await untilBatch(created.id, ["validating", "in_progress"]);
      expect((await harness.batches.cancel(harness.h.scope, created.id)).status).toBe("cancelling");
      await expect(harness.batches.cancel(harness.h.scope, created.id)).rejects.toMatchObject({
        code: "conflict",
      });
      const done = await untilBatch(created.id, ["cancelled", "completed"]);
      expect(done).toMatchObject({ status: "cancelled", counts: { total: 3, succeeded: 0, cancelled: 3 } });
      expect((await allResponses(created.id)).map((r) => r.status)).toEqual([
        "cancelled",
        "cancelled",
        "cancelled",
      ]);
      expect(done.costMicros).toBe(0);
      await worker.stop();
    },
  );

  it.each(MODELS)(
    "cancels a %s batch mid-run: answers the provider had are kept and charged, the rest cancelled",
    async (model) => {
      const worker = await harness.h.worker();
      const created = await harness.batches.create(harness.h.scope, {
        name: "cancel mid-run",
        model,
        requests: Array.from({ length: 8 }, (_, i) => request(i + 1)),
        submit: true,
      });
      await untilPartlyWorkedThrough(model, created.id);
      await harness.batches.cancel(harness.h.scope, created.id);
      const done = await untilBatch(created.id, ["cancelled", "completed"]);
      expect(done.status).toBe("cancelled");
      const { responses, batch } = await expectExactCosts(done);
      const answered = responses.filter((r) => r.status === "succeeded");
      // The provider works through requests in order: the first ones answered, the rest cancelled.
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.length).toBeLessThan(8);
      expect(responses.map((r) => r.status)).toEqual([
        ...Array(answered.length).fill("succeeded"),
        ...Array(8 - answered.length).fill("cancelled"),
      ]);
      expect(batch.counts).toEqual({
        total: 8,
        succeeded: answered.length,
        errored: 0,
        expired: 0,
        cancelled: 8 - answered.length,
      });
      expect(batch.costMicros).toBeGreaterThan(0);
      for (const r of responses.filter((x) => x.status === "cancelled")) expect(r.costMicros).toBe(0);
      await worker.stop();
    },
  );

  it.each(MODELS)(
    "a %s batch whose worker is killed while it runs at the provider is polled to its end by the next worker, once",
    { timeout: 60_000 },
    async (model) => {
      const first = await harness.h.worker();
      const created = await harness.batches.create(harness.h.scope, {
        name: "restart mid-run",
        model,
        requests: Array.from({ length: 20 }, (_, i) => request(i + 1)),
        submit: true,
      });
      await untilPartlyWorkedThrough(model, created.id);
      const atKill = await harness.batches.get(harness.h.scope, created.id);
      first.kill9();
      await first.exited;
      expect(atKill.status).toBe("in_progress");
      expect(atKill.atProvider.done).toBeLessThan(20);
      const second = await harness.h.worker();
      const done = await untilBatch(created.id, ["completed", "failed"], 45_000);
      // The same provider batch, read to its end: nothing submitted again, nothing stored twice.
      expect(done.providerBatchId).toBe(atKill.providerBatchId);
      expect(done.counts).toEqual({ total: 20, succeeded: 20, errored: 0, expired: 0, cancelled: 0 });
      await expectOneResponseEach(created.id, 20);
      await expectExactCosts(done);
      await second.stop();
    },
  );
});
