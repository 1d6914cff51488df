import { startTestApi, type TestApi } from "@sluice/api/testing";
import { isFinalBatchStatus } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import type { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluiceClient, type RouterOutputs, type SluiceClient } from "../src/createSluiceClient.ts";
import { codeOf } from "./support/apiErrors.ts";

const t = useTestDatabase();
let api: TestApi;
let a: SluiceClient;
let b: SluiceClient;

type Progress = RouterOutputs["batches"]["get"];

beforeAll(async () => {
  api = await startTestApi(t, {
    worker: { batchPollMs: 100 },
    batchTimings: { validatingMs: 200, inProgressMs: 500, finalizingMs: 200 },
  });
  a = createSluiceClient({ url: api.url, apiKey: api.a.key });
  b = createSluiceClient({ url: api.url, apiKey: api.b.key });
});
afterAll(() => api.close());

/** Follows a batch's progress until the stream ends. */
function follow(client: SluiceClient, id: string) {
  return new Promise<{ batches: Progress[]; errors: { code: string }[] }>((resolve, reject) => {
    const batches: Progress[] = [];
    const errors: { code: string }[] = [];
    const sub = client.batches.onProgress.subscribe(
      { id },
      {
        onData: ({ data }) => {
          if (data.type === "error") errors.push(data);
          else batches.push(data.batch);
          if (data.type === "error" || isFinalBatchStatus(data.batch.status)) {
            sub.unsubscribe();
            resolve({ batches, errors });
          }
        },
        onError: (error) => {
          sub.unsubscribe();
          reject(error);
        },
      },
    );
  });
}

describe("batches through the typed client", () => {
  it("creates and submits a batch, follows its progress to completion and pages its answers", async () => {
    const created = await a.batches.create.mutate({
      name: "typed",
      model: "claude-haiku-4-5",
      requests: Array.from({ length: 5 }, (_, i) => ({
        customId: `c${i}`,
        body: { messages: [{ role: "user", content: `hello ${i}` }], max_tokens: 10 },
      })),
      submit: true,
    });
    expect(created).toMatchObject({ status: "submitted", counts: { total: 5 } });
    const { batches } = await follow(a, created.id);
    const statuses = batches.map((x) => x.status);
    expect(statuses.at(-1)).toBe("completed");
    expect(statuses).toContain("in_progress");
    // Every change once, in the order of the batch's life.
    const order = ["submitted", "validating", "in_progress", "finalizing", "completed"];
    const seen = statuses.filter((s, i) => s !== statuses[i - 1]);
    expect(seen.map((s) => order.indexOf(s))).toEqual(
      [...seen.map((s) => order.indexOf(s))].sort((x, y) => x - y),
    );
    const done = batches.at(-1)!;
    expect(done.counts.succeeded).toBe(5);
    expect(done.createdAt).toBeInstanceOf(Date);
    const first = await a.batches.responses.query({ id: created.id, limit: 3 });
    expect(first.items.map((r) => r.customId)).toEqual(["c0", "c1", "c2"]);
    const rest = await a.batches.responses.query({ id: created.id, cursor: first.nextCursor! });
    expect(rest).toMatchObject({ items: [{ customId: "c3" }, { customId: "c4" }], nextCursor: null });
    expect((await a.batches.list.query({ status: "completed" })).items.map((x) => x.id)).toContain(
      created.id,
    );
    // The answers as JSONL, streamed in input order.
    const lines: string[] = [];
    for await (const line of await a.batches.results.query({ id: created.id })) lines.push(line);
    const results = lines.map(
      (l) => JSON.parse(l) as { custom_id: string; status: string; cost_micros: number },
    );
    expect(results.map((r) => [r.custom_id, r.status])).toEqual(
      ["c0", "c1", "c2", "c3", "c4"].map((id) => [id, "succeeded"]),
    );
    expect(results.reduce((sum, r) => sum + r.cost_micros, 0)).toBe(done.costMicros);
    // Another tenant is refused before any line is sent.
    expect(await codeOf(() => b.batches.results.query({ id: created.id }))).toBe("not_found");
    const stats = await a.batches.stats.query();
    expect(stats.costMicros).toBeGreaterThan(0);
    expect(stats.savingsMicros).toBe(stats.syncCostMicros - stats.costMicros);
  });

  it("adds JSONL to a draft, refuses bad lines with their numbers, and keeps other tenants out", async () => {
    const draft = await a.batches.create.mutate({ name: "draft", model: "sim-small" });
    let issues: { line: number }[] = [];
    try {
      await a.batches.addRequests.mutate({
        id: draft.id,
        jsonl: '{"custom_id":"x","body":{"messages":[]}}\n{"custom_id":"y"}',
      });
    } catch (error) {
      issues = (
        (error as TRPCClientError<never>).data as unknown as {
          error: { details: { issues: { line: number }[] } };
        }
      ).error.details.issues;
    }
    expect(issues.map((i) => i.line)).toEqual([1, 2]);
    const added = await a.batches.addRequests.mutate({
      id: draft.id,
      jsonl: '{"custom_id":"x","body":{"messages":[{"role":"user","content":"hi"}]}}',
    });
    expect(added).toMatchObject({ added: 1, batch: { counts: { total: 1 } } });
    expect(await codeOf(() => b.batches.get.query({ id: draft.id }))).toBe("not_found");
    expect(await codeOf(() => b.batches.submit.mutate({ id: draft.id }))).toBe("not_found");
    expect(await codeOf(() => b.batches.requests.query({ id: draft.id }))).toBe("not_found");
    const { batches, errors } = await follow(b, draft.id);
    expect(batches).toEqual([]);
    expect(errors).toMatchObject([{ code: "not_found" }]);
    expect(await codeOf(() => a.batches.cancel.mutate({ id: draft.id }))).toBe("conflict");
    expect(await a.batches.delete.mutate({ id: draft.id })).toEqual({ id: draft.id, deleted: true });
  });
});
