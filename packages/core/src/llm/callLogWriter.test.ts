import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createTestClock } from "../testing/testClock.ts";
import { createCallLogWriter } from "./callLogWriter.ts";

const t = useTestDatabase();

const row = (requestId: string, i: number) => ({
  tenantId: null,
  requestId,
  jobId: null,
  kind: "chat" as const,
  model: "sim-small",
  provider: "simulator",
  inputTokens: i,
  outputTokens: 1,
  costMicros: i * 2,
  latencyMs: 3,
  ttftMs: null,
  cacheHit: false,
  status: "ok" as const,
  errorCode: null,
});

describe("call log writer", () => {
  it("batches rows and writes them in order on flush", async () => {
    const writer = createCallLogWriter(t.db, { flushIntervalMs: 10_000 });
    for (let i = 0; i < 25; i++) writer.record(row("batch-1", i));
    const before = await t.db
      .selectFrom("llmCalls")
      .select("id")
      .where("requestId", "=", "batch-1")
      .execute();
    expect(before).toHaveLength(0);
    await writer.flush();
    const rows = await t.db
      .selectFrom("llmCalls")
      .selectAll()
      .where("requestId", "=", "batch-1")
      .orderBy("id")
      .execute();
    expect(rows.map((r) => r.inputTokens)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(rows[3]?.costMicros).toBe(6);
  });

  it("writes on its own once the interval passes on its clock, and when a batch fills", async () => {
    const clock = createTestClock();
    const writer = createCallLogWriter(t.db, { flushIntervalMs: 20, maxBatch: 5, clock });
    const written = async (requestId: string) =>
      (await t.db.selectFrom("llmCalls").select("id").where("requestId", "=", requestId).execute()).length;
    writer.record(row("timer-1", 1));
    clock.advance(19);
    expect(clock.pendingTimers).toBe(1);
    expect(await written("timer-1")).toBe(0);
    clock.advance(1);
    expect(clock.pendingTimers).toBe(0);
    await expect.poll(() => written("timer-1")).toBe(1);
    for (let i = 0; i < 5; i++) writer.record(row("full-1", i));
    await expect.poll(() => written("full-1")).toBe(5);
    await writer.close();
  });

  it("reports rows it could not write instead of throwing", async () => {
    const failures: number[] = [];
    const writer = createCallLogWriter(t.db, { onError: (_e, n) => failures.push(n) });
    writer.record({ ...row("bad-1", 1), kind: "nonsense" as never });
    await writer.flush();
    expect(failures).toEqual([1]);
  });
});
