import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../testing/testDatabase.ts";
import { InvalidCursorError, insertBatch } from "./batches.ts";
import {
  countBatchRetries,
  insertBatchRequests,
  readBatchRequests,
  retryBatchRequests,
} from "./batchRequests.ts";
import {
  deleteFile,
  findFile,
  finishFile,
  insertFile,
  insertFileChunk,
  listFiles,
  readFileChunks,
} from "./files.ts";
import { insertTenant } from "./tenants.ts";

const t = useTestDatabase();

async function fileOf(tenantId: string, name: string, chunks: string[]) {
  const file = await insertFile(t.db, { tenantId, purpose: "batch", filename: name });
  for (const [seq, text] of chunks.entries()) await insertFileChunk(t.db, file.id, seq, Buffer.from(text));
  return finishFile(t.db, file.id, chunks.join("").length);
}

describe("files repository", () => {
  it("keeps a file's chunks in order, per tenant, and deletes them with it", async () => {
    const a = await insertTenant(t.db, { name: "files a" });
    const b = await insertTenant(t.db, { name: "files b" });
    const file = await fileOf(a.id, "in.jsonl", ["one\n", "two\n", "three\n"]);
    expect(file).toMatchObject({ status: "processed", bytes: 14, purpose: "batch" });
    expect(file.id).toMatch(/^file-[0-9a-f]{32}$/);
    const read: string[] = [];
    for await (const chunk of readFileChunks(t.db, file.id)) read.push(chunk.toString());
    expect(read).toEqual(["one\n", "two\n", "three\n"]);
    expect(await findFile(t.db, b.id, file.id)).toBeUndefined();
    expect(await deleteFile(t.db, b.id, file.id)).toBe(false);
    expect(await findFile(t.db, a.id, "not-a-file-id")).toBeUndefined();
    expect(await deleteFile(t.db, a.id, file.id)).toBe(true);
    const left: Buffer[] = [];
    for await (const chunk of readFileChunks(t.db, file.id)) left.push(chunk);
    expect(left).toEqual([]);
  });

  it("pages newest first after a file of the tenant's own, and refuses another tenant's as a cursor", async () => {
    const a = await insertTenant(t.db, { name: "pages a" });
    const b = await insertTenant(t.db, { name: "pages b" });
    const files = [];
    for (const n of [1, 2, 3]) files.push(await fileOf(a.id, `f${n}.jsonl`, ["x"]));
    const other = await fileOf(b.id, "b.jsonl", ["y"]);
    const first = await listFiles(t.db, a.id, { limit: 2 });
    expect(first.items.map((f) => f.filename)).toEqual(["f3.jsonl", "f2.jsonl"]);
    expect(first.hasMore).toBe(true);
    const next = await listFiles(t.db, a.id, { limit: 2, after: first.items.at(-1)!.id });
    expect(next).toMatchObject({ items: [{ filename: "f1.jsonl" }], hasMore: false });
    expect(await listFiles(t.db, a.id, { limit: 10, purpose: "batch_output" })).toEqual({
      items: [],
      hasMore: false,
    });
    await expect(listFiles(t.db, a.id, { limit: 2, after: other.id })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it("sends retried requests again (only those are read as pending) and counts the retries", async () => {
    const tenant = await insertTenant(t.db, { name: "retries" });
    const batch = await insertBatch(t.db, {
      tenantId: tenant.id,
      name: "r",
      provider: "openai",
      model: "sim-small",
    });
    await insertBatchRequests(t.db, batch.id, [
      { customId: "a", seq: 0, body: "{}" },
      { customId: "b", seq: 1, body: "{}" },
    ]);
    await t.db
      .updateTable("batchRequests")
      .set({ status: "submitted" })
      .where("batchId", "=", batch.id)
      .execute();
    const attempt = { tier: 0, model: "sim-small", accepted: false, reason: "500", retried: true };
    expect(await retryBatchRequests(t.db, batch.id, 0, [{ customId: "b", attempts: [attempt] }])).toEqual([
      "b",
    ]);
    const pending = [];
    for await (const r of readBatchRequests(t.db, batch.id, 0, 1000, "pending")) pending.push(r.customId);
    expect(pending).toEqual(["b"]);
    await retryBatchRequests(t.db, batch.id, 0, [{ customId: "b", attempts: [attempt, attempt] }]);
    expect(await countBatchRetries(t.db, batch.id)).toBe(2);
  });
});
