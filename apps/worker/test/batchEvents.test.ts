import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { request, useBatchHarness, webhookReceiver } from "./batchHarness.ts";

const t = useTestDatabase();
const harness = useBatchHarness(t);
const { untilBatch, expectSignedBatchHook } = harness;

describe("what a batch tells while it runs and when it ends", () => {
  it.each([
    ["sim-small", true],
    ["claude-haiku-4-5", false],
  ])(
    "shows the provider's progress while a %s batch runs (counted as it goes: %s), before its answers are stored",
    async (model, countsAsItGoes) => {
      const worker = await harness.h.worker();
      const created = await harness.batches.create(harness.h.scope, {
        name: `progress ${model}`,
        model,
        requests: [1, 2, 3, 4, 5, 6].map((n) => request(n)),
        submit: true,
      });
      const seen: { status: string; done: number; total: number; answered: number }[] = [];
      const done = await untilBatch(created.id, ["completed"], 30_000, (b) =>
        seen.push({
          status: b.status,
          done: b.atProvider.done,
          total: b.atProvider.total,
          answered: b.counts.succeeded + b.counts.errored,
        }),
      );
      const running = seen.filter((s) => s.status === "in_progress");
      expect(running.length).toBeGreaterThan(0);
      if (countsAsItGoes) {
        // Part of the batch worked through while nothing is answered yet.
        expect(running.some((s) => s.done > 0 && s.done < 6 && s.answered === 0)).toBe(true);
      } else {
        // Anthropic counts every request as processing until the batch has ended.
        expect(running.every((s) => s.done === 0 && s.answered === 0)).toBe(true);
      }
      expect(running.every((s) => s.total === 6)).toBe(true);
      const counts = seen.map((s) => s.done);
      expect([...counts].sort((a, b) => a - b)).toEqual(counts);
      expect(done.atProvider).toEqual({ total: 6, done: 6 });
      await worker.stop();
    },
  );

  it("posts a signed batch.completed webhook with the batch when it ends", async () => {
    const hooks = await webhookReceiver();
    const worker = await harness.h.worker();
    const created = await harness.batches.create(harness.h.scope, {
      name: "with webhook",
      model: "sim-small",
      webhookUrl: hooks.url,
      requests: [request(1)],
      submit: true,
    });
    await untilBatch(created.id, ["completed"]);
    await expect.poll(() => hooks.received.length, { timeout: 10_000 }).toBe(1);
    await expectSignedBatchHook(hooks.received[0]!, created.id, "completed", { succeeded: 1 });
    await worker.stop();
    await hooks.close();
  });

  it.each([
    ["failed", "fail"],
    ["expired", "expire"],
  ] as const)(
    "posts a signed batch.%s webhook when its provider batch ends so (outcome %s)",
    async (status, outcome) => {
      const hooks = await webhookReceiver();
      const worker = await harness.h.worker();
      const created = await harness.batches.create(harness.h.scope, {
        name: `webhook on ${status}`,
        model: "sim-small",
        webhookUrl: hooks.url,
        metadata: { sim_outcome: outcome },
        requests: [request(1), request(2)],
        submit: true,
      });
      await untilBatch(created.id, [status, "completed"]);
      await expect.poll(() => hooks.received.length, { timeout: 10_000 }).toBe(1);
      await expectSignedBatchHook(hooks.received[0]!, created.id, status, { total: 2 });
      await worker.stop();
      await hooks.close();
    },
  );
});
