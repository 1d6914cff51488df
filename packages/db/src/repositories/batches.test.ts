import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { BATCH_STATUSES, FINAL_BATCH_STATUSES, isFinalBatchStatus } from "../schema.ts";
import { useTestDatabase } from "../testing/testDatabase.ts";
import { addToBatchTotals, advanceBatchPollSeq, findBatchById, insertBatch } from "./batches.ts";
import {
  batchRequestsByCustomId,
  countTierRequests,
  escalateBatchRequests,
  insertBatchRequests,
} from "./batchRequests.ts";
import { pingDatabase, serverVersion } from "./databaseServer.ts";
import { insertTenant } from "./tenants.ts";

const t = useTestDatabase();

async function newBatch(name: string) {
  const tenant = await insertTenant(t.db, { name: `tenant of ${name}` });
  return insertBatch(t.db, { tenantId: tenant.id, name, provider: "openai", model: "sim-small" });
}

describe("batches repository", () => {
  it("declares the statuses the batches table accepts, no more and no fewer", async () => {
    const { rows } = await sql<{ definition: string }>`
      select pg_get_constraintdef(c.oid) as definition from pg_constraint c
      where c.conrelid = 'batches'::regclass and c.contype = 'c'
        and pg_get_constraintdef(c.oid) like '%status%'`.execute(t.db);
    expect(rows).toHaveLength(1);
    const accepted = [...rows[0]!.definition.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    expect(accepted.toSorted()).toEqual([...BATCH_STATUSES].sort());
    expect(BATCH_STATUSES.filter(isFinalBatchStatus)).toEqual([...FINAL_BATCH_STATUSES]);
  });

  it("advances the poll sequence, only from the expected value when one is given", async () => {
    const batch = await newBatch("polls");
    expect(await advanceBatchPollSeq(t.db, batch.id)).toBe(batch.pollSeq + 1);
    const seq = batch.pollSeq + 1;
    expect(await advanceBatchPollSeq(t.db, batch.id, seq)).toBe(seq + 1);
    // A poll chain that has been overtaken moves nothing.
    expect(await advanceBatchPollSeq(t.db, batch.id, seq)).toBeUndefined();
    expect((await findBatchById(t.db, batch.id))?.pollSeq).toBe(seq + 1);
  });

  it("adds to a batch's running totals, never moving the results read back", async () => {
    const batch = await newBatch("totals");
    await addToBatchTotals(t.db, batch.id, {
      answered: { succeeded: 3, errored: 1 },
      inputTokens: 30,
      outputTokens: 12,
      costMicros: 500,
      syncCostMicros: 1_000,
      topTierCostMicros: 4_000,
      resultsRead: 4,
    });
    await addToBatchTotals(t.db, batch.id, { answered: { cancelled: 2, succeeded: 1 }, resultsRead: 2 });
    expect(await findBatchById(t.db, batch.id)).toMatchObject({
      succeededCount: 4,
      erroredCount: 1,
      expiredCount: 0,
      cancelledCount: 2,
      inputTokens: 30,
      outputTokens: 12,
      costMicros: 500,
      syncCostMicros: 1_000,
      topTierCostMicros: 4_000,
      resultsRead: 4,
    });
  });

  it("moves rejected drafts up a tier once, with their attempts, and counts each tier", async () => {
    const batch = await newBatch("escalation");
    const tools = [{ type: "function", function: { name: "get_weather" } }];
    await insertBatchRequests(
      t.db,
      batch.id,
      ["a", "b", "c"].map((customId, seq) => ({
        customId,
        seq,
        body: customId === "a" ? JSON.stringify({ tools, tool_choice: "required" }) : "{}",
      })),
    );
    const attempts = [{ tier: 0, accepted: false }];
    const escalations = ["a", "b"].map((customId) => ({ customId, attempts }));
    expect((await escalateBatchRequests(t.db, batch.id, 0, escalations)).toSorted()).toEqual(["a", "b"]);
    // Repeated (a chunk read twice): the requests have moved on already.
    expect(await escalateBatchRequests(t.db, batch.id, 0, escalations)).toEqual([]);
    expect(await countTierRequests(t.db, batch.id, 0)).toBe(1);
    expect(await countTierRequests(t.db, batch.id, 1)).toBe(2);
    const known = await batchRequestsByCustomId(t.db, batch.id, ["a", "c", "unknown"]);
    expect(known.toSorted((x, y) => x.seq - y.seq)).toEqual([
      {
        customId: "a",
        seq: 0,
        tier: 1,
        attempts,
        // What the body demands of an answer comes back with it, for checking drafts.
        contract: { tools, tool_choice: "required", response_format: null },
      },
      {
        customId: "c",
        seq: 2,
        tier: 0,
        attempts: [],
        contract: { tools: null, tool_choice: null, response_format: null },
      },
    ]);
    expect(await batchRequestsByCustomId(t.db, batch.id, ["unknown"])).toEqual([]);
  });

  it("pings the server and reads its version", async () => {
    await pingDatabase(t.db);
    expect(await serverVersion(t.db)).toMatch(/^\d+(\.\d+)?/);
  });
});
