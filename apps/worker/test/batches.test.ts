import fs from "node:fs";
import { costMicros } from "@sluice/core";
import { useTestDatabase } from "@sluice/db/testing";
import { ticketDataset } from "@sluice/simulator";
import { describe, expect, it, onTestFinished } from "vitest";
import { request, useBatchHarness } from "./batchHarness.ts";

const t = useTestDatabase();
const harness = useBatchHarness(t);
const { untilBatch, allResponses, expectExactCosts, expectOneResponseEach } = harness;

describe("provider batches through worker processes", () => {
  it("runs an OpenAI-wire batch to completion: one item fails, the rest answer at half price", async () => {
    const worker = await harness.h.worker();
    const created = await harness.batches.create(harness.h.scope, {
      name: "openai lifecycle",
      model: "sim-small",
      requests: [request(1), request(2), request(3, "[[sim:batch-error]]"), request(4)],
      submit: true,
    });
    expect(created).toMatchObject({ status: "submitted", provider: "simulator", counts: { total: 4 } });
    const done = await untilBatch(created.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "completed",
      counts: { total: 4, succeeded: 3, errored: 1, expired: 0, cancelled: 0 },
    });
    expect(done.providerBatchId).toMatch(/^batch_/);
    const { responses, batch } = await expectExactCosts(done);
    expect(responses.map((r) => [r.customId, r.status])).toEqual([
      ["req-1", "succeeded"],
      ["req-2", "succeeded"],
      ["req-3", "errored"],
      ["req-4", "succeeded"],
    ]);
    expect(responses[0]!.response).toMatchObject({
      object: "chat.completion",
      model: "sim-small",
      choices: [{ message: { role: "assistant" } }],
    });
    expect(responses[2]!.error).toMatchObject({ httpStatus: 500 });
    expect(batch.costMicros).toBeGreaterThan(0);
    // Half price, each rounded once per call.
    expect(Math.abs(batch.syncCostMicros - 2 * batch.costMicros)).toBeLessThanOrEqual(3);
    const lines = [];
    for await (const line of await harness.batches.results(harness.h.scope, created.id))
      lines.push(JSON.parse(line));
    expect(lines.map((l) => l.custom_id)).toEqual(["req-1", "req-2", "req-3", "req-4"]);
    await worker.stop();
  });

  it("runs an Anthropic batch: succeeded, errored and expired items, each recorded", async () => {
    const worker = await harness.h.worker();
    const created = await harness.batches.create(harness.h.scope, {
      name: "anthropic lifecycle",
      model: "claude-haiku-4-5",
      requests: [
        request(1),
        request(2, "[[sim:batch-error]]"),
        request(3, "[[sim:batch-expire]]"),
        request(4),
      ],
      submit: true,
    });
    const done = await untilBatch(created.id, ["completed", "failed"]);
    expect(done).toMatchObject({
      status: "completed",
      counts: { total: 4, succeeded: 2, errored: 1, expired: 1, cancelled: 0 },
    });
    expect(done.providerBatchId).toMatch(/^msgbatch_/);
    const { responses } = await expectExactCosts(done);
    expect(responses.map((r) => r.status)).toEqual(["succeeded", "errored", "expired", "succeeded"]);
    expect(responses[0]!.usage.inputTokens).toBeGreaterThan(0);
    await worker.stop();
  });

  it("records an expired batch: every request expired, nothing charged", async () => {
    const worker = await harness.h.worker();
    const created = await harness.batches.create(harness.h.scope, {
      name: "expires",
      model: "sim-small",
      metadata: { sim_outcome: "expire" },
      requests: [request(1), request(2)],
      submit: true,
    });
    const done = await untilBatch(created.id, ["expired", "completed"]);
    expect(done).toMatchObject({ status: "expired", costMicros: 0, counts: { total: 2, expired: 2 } });
    await worker.stop();
  });

  it("records a batch the provider failed: every request errored with the provider's reason", async () => {
    const worker = await harness.h.worker();
    const created = await harness.batches.create(harness.h.scope, {
      name: "fails",
      model: "sim-small",
      metadata: { sim_outcome: "fail" },
      requests: [request(1), request(2)],
      submit: true,
    });
    const done = await untilBatch(created.id, ["failed", "completed"]);
    expect(done).toMatchObject({ status: "failed", costMicros: 0, counts: { total: 2, errored: 2 } });
    expect(done.error).toMatch(/failed/);
    const responses = await allResponses(created.id);
    expect(responses.map((r) => [r.status, (r.error as { code: string }).code])).toEqual([
      ["errored", "batch_failed"],
      ["errored", "batch_failed"],
    ]);
    await worker.stop();
  });

  it("ends a batch failed, with the reason, when its provider batch can no longer be read", async () => {
    const worker = await harness.h.worker();
    // The provider batch stays validating until the id is changed: on a loaded machine it could
    // otherwise finish, and a poll under way during the stop complete it, first.
    harness.simulatorClock.hold();
    onTestFinished(harness.simulatorClock.release);
    const created = await harness.batches.create(harness.h.scope, {
      name: "lost at the provider",
      model: "sim-small",
      requests: [request(1), request(2)],
      submit: true,
    });
    await untilBatch(created.id, ["validating", "in_progress"]);
    // The provider no longer knows the batch (a 404 that retrying cannot fix). Changed with no poll
    // under way: a poll that read the old id takes the new one for another run and leaves it be.
    await worker.stop();
    await t.db
      .updateTable("batches")
      .set({ providerBatchId: "batch_unknown" })
      .where("id", "=", created.id)
      .execute();
    const next = await harness.h.worker();
    const done = await untilBatch(created.id, ["failed", "completed"]);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^the batch could not be followed: /);
    expect((await allResponses(created.id)).map((r) => r.status)).toEqual(["errored", "errored"]);
    await next.stop();
  });

  it("escalates only the drafts its validators reject to the next tier, and reports the savings", {
    timeout: 60_000,
  }, async () => {
    const worker = await harness.h.worker();
    // Tickets from the simulator's dataset: the small model is unsure of the hard ones.
    const tickets = ticketDataset(42).slice(0, 40);
    const created = await harness.batches.create(harness.h.scope, {
      name: "cascade",
      model: "cascade:simulator",
      requests: tickets.map((ticket, i) => ({
        customId: `t-${i}`,
        body: {
          messages: [
            {
              role: "system",
              content:
                "Classify the ticket. Answer JSON {urgency, category, confidence, suggested_response}.",
            },
            { role: "user", content: `Subject: ${ticket.subject}\n\n${ticket.body}` },
          ],
          response_format: { type: "json_object" },
          max_tokens: 200,
        },
      })),
      submit: true,
    });
    const done = await untilBatch(created.id, ["completed", "failed"], 45_000);
    expect(done).toMatchObject({ status: "completed", tier: 1, counts: { total: 40, succeeded: 40 } });
    const responses = await allResponses(created.id);
    const escalated = responses.filter((r) => r.attempts.length === 2);
    const kept = responses.filter((r) => r.attempts.length === 1);
    expect(escalated.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    for (const r of kept)
      expect(r).toMatchObject({ model: "sim-small", attempts: [{ tier: 0, accepted: true }] });
    for (const r of escalated) {
      expect(r.model).toBe("sim-large");
      expect(r.attempts[0]).toMatchObject({ tier: 0, model: "sim-small", accepted: false });
      expect(r.attempts[1]).toMatchObject({ tier: 1, model: "sim-large" });
      expect(r.costMicros).toBe(r.attempts[0]!.costMicros + r.attempts[1]!.costMicros);
    }
    // The second tier's provider batch held only the rejected items.
    const secondTier = await t.db
      .selectFrom("batchRequests")
      .select("customId")
      .where("batchId", "=", created.id)
      .where("tier", "=", 1)
      .execute();
    expect(secondTier.map((r) => r.customId).sort()).toEqual(escalated.map((r) => r.customId).sort());
    // Every attempt is charged at its tier's batch price; the totals are exactly their sums.
    const price = (model: string, usage: { inputTokens: number; outputTokens: number }, batch = false) =>
      costMicros(harness.runtime.registry.get(model), usage, { batch });
    let sync = 0;
    for (const r of responses)
      for (const a of r.attempts) {
        const usage = { inputTokens: a.inputTokens, outputTokens: a.outputTokens };
        expect(a.costMicros).toBe(price(a.model, usage, true));
        sync += price(a.model, usage);
      }
    expect(done.costMicros).toBe(responses.reduce((a, r) => a + r.costMicros, 0));
    expect(done.syncCostMicros).toBe(sync);
    expect(done.savingsMicros).toBe(sync - done.costMicros);
    // Against sending every item to the top tier alone, synchronously, for the tokens of its answer.
    expect(done.topTierCostMicros).toBe(responses.reduce((a, r) => a + price("sim-large", r.usage), 0));
    expect(done.topTierCostMicros).toBeGreaterThan(done.costMicros);
    await worker.stop();
  });

  it("loses and duplicates nothing when its worker is killed while polling and storing a 10,000-request batch", {
    timeout: 120_000,
  }, async () => {
    const first = await harness.h.worker();
    const created = await harness.batches.create(harness.h.scope, { name: "big", model: "sim-small" });
    const jsonl = Array.from({ length: 10_000 }, (_, i) =>
      JSON.stringify({ custom_id: `r${i}`, body: request(i).body }),
    ).join("\n");
    const tmp = `${fs.mkdtempSync("/tmp/sluice-batch-")}/input.jsonl`;
    fs.writeFileSync(tmp, jsonl);
    expect(
      (await harness.batches.addRequests(harness.h.scope, created.id, fs.createReadStream(tmp))).added,
    ).toBe(10_000);
    await harness.batches.submit(harness.h.scope, created.id);
    // Kill the worker once results are being stored (or, if it is quick, while it polls).
    await expect
      .poll(
        async () => {
          const row = await t.db
            .selectFrom("batches")
            .select(["resultsRead", "status"])
            .where("id", "=", created.id)
            .executeTakeFirstOrThrow();
          return row.resultsRead > 0 || row.status === "completed";
        },
        { timeout: 30_000, interval: 20 },
      )
      .toBe(true);
    first.kill9();
    await first.exited;
    const atKill = await t.db
      .selectFrom("batches")
      .select(["resultsRead", "status"])
      .where("id", "=", created.id)
      .executeTakeFirstOrThrow();
    // Killed with part of the results stored: the next worker resumes after them.
    expect(atKill.status).toBe("finalizing");
    expect(atKill.resultsRead).toBeLessThan(10_000);
    const second = await harness.h.worker();
    const done = await untilBatch(created.id, ["completed", "failed"], 60_000);
    expect(done.counts).toEqual({ total: 10_000, succeeded: 10_000, errored: 0, expired: 0, cancelled: 0 });
    await expectOneResponseEach(created.id, 10_000);
    await expectExactCosts(done);
    await second.stop();
    fs.rmSync(tmp, { force: true });
  });
});
