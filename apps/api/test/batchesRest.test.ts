import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, {
    worker: { batchPollMs: 100 },
    batchTimings: { validatingMs: 100, inProgressMs: 400, finalizingMs: 100 },
    env: { SLUICE_BATCH_MAX_REQUESTS: "5", SLUICE_BATCH_MAX_BYTES: "10000000" },
  });
});
afterAll(() => api.close());

const call = (method: string, path: string, key: string, body?: unknown, contentType = "application/json") =>
  fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": contentType },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });

const line = (customId: string, content = `hello ${customId}`, extra: object = {}) =>
  JSON.stringify({
    custom_id: customId,
    body: { messages: [{ role: "user", content }], max_tokens: 8, ...extra },
  });

async function draft(key = api.a.key, model = "sim-small") {
  const res = await call("POST", "/v1/sluice/batches", key, {
    name: "rest batch",
    model,
    metadata: { team: "support" },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string; request_counts: { total: number } };
}

describe("REST batches", () => {
  it("creates a draft, takes JSONL, submits, and serves responses, results and stats", async () => {
    const batch = await draft();
    expect(batch).toMatchObject({ object: "sluice.batch", status: "draft", model: "sim-small" });
    const added = await call(
      "POST",
      `/v1/sluice/batches/${batch.id}/requests`,
      api.a.key,
      `${line("a")}\n\n${line("b")}\n${line("c")}\n`,
      "application/jsonl",
    );
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ added: 3, batch: { request_counts: { total: 3 } } });
    const requests = (await (
      await call("GET", `/v1/sluice/batches/${batch.id}/requests?limit=2`, api.a.key)
    ).json()) as {
      data: { custom_id: string; status: string }[];
      next_cursor: string;
    };
    expect(requests.data.map((r) => [r.custom_id, r.status])).toEqual([
      ["a", "pending"],
      ["b", "pending"],
    ]);
    const rest = (await (
      await call("GET", `/v1/sluice/batches/${batch.id}/requests?cursor=${requests.next_cursor}`, api.a.key)
    ).json()) as { data: { custom_id: string }[]; next_cursor: string | null };
    expect(rest).toMatchObject({ data: [{ custom_id: "c" }], next_cursor: null });

    expect((await call("POST", `/v1/sluice/batches/${batch.id}/submit`, api.a.key)).status).toBe(200);
    await expect
      .poll(
        async () =>
          (
            (await (await call("GET", `/v1/sluice/batches/${batch.id}`, api.a.key)).json()) as {
              status: string;
            }
          ).status,
        {
          timeout: 20_000,
          interval: 100,
        },
      )
      .toBe("completed");
    const done = (await (await call("GET", `/v1/sluice/batches/${batch.id}`, api.a.key)).json()) as {
      cost_micros: number;
      sync_cost_micros: number;
      savings_micros: number;
      request_counts: object;
    };
    expect(done.request_counts).toEqual({ total: 3, succeeded: 3, errored: 0, expired: 0, cancelled: 0 });
    expect(done.savings_micros).toBe(done.sync_cost_micros - done.cost_micros);
    expect(done.cost_micros).toBeGreaterThan(0);

    const responses = (await (
      await call("GET", `/v1/sluice/batches/${batch.id}/responses`, api.a.key)
    ).json()) as {
      data: { custom_id: string; status: string; cost_micros: number }[];
    };
    expect(responses.data.map((r) => [r.custom_id, r.status])).toEqual([
      ["a", "succeeded"],
      ["b", "succeeded"],
      ["c", "succeeded"],
    ]);
    expect(responses.data.reduce((s, r) => s + r.cost_micros, 0)).toBe(done.cost_micros);

    const results = await call("GET", `/v1/sluice/batches/${batch.id}/results`, api.a.key);
    expect(results.headers.get("content-type")).toMatch(/^application\/jsonl/);
    const lines = (await results.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id)).toEqual(["a", "b", "c"]);
    expect(lines[0].response.choices[0].message.role).toBe("assistant");

    const stats = (await (await call("GET", "/v1/sluice/batches/stats", api.a.key)).json()) as {
      by_status: Record<string, number>;
      savings_micros: number;
    };
    expect(stats.by_status.completed).toBeGreaterThanOrEqual(1);
    expect(stats.savings_micros).toBeGreaterThanOrEqual(done.savings_micros);
    // A submitted batch takes no more requests and cannot be deleted.
    expect(
      (
        await call(
          "POST",
          `/v1/sluice/batches/${batch.id}/requests`,
          api.a.key,
          line("d"),
          "application/jsonl",
        )
      ).status,
    ).toBe(409);
    expect((await call("DELETE", `/v1/sluice/batches/${batch.id}`, api.a.key)).status).toBe(409);
  });

  it("rejects bad lines with their numbers and the request id, storing none of the input", async () => {
    const batch = await draft();
    const input = [
      line("ok-1"),
      "{not json",
      line("ok-2"),
      line("ok-1"),
      line("other-model", "hi", { model: "sim-large" }),
      line("streams", "hi", { stream: true }),
      JSON.stringify({ custom_id: "bad id!", body: { messages: [{ role: "user", content: "x" }] } }),
      line("no-messages", "x", { messages: [] }),
    ].join("\n");
    const res = await fetch(`${api.url}/v1/sluice/batches/${batch.id}/requests`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${api.a.key}`,
        "content-type": "application/jsonl",
        "x-request-id": "req-bad-lines",
      },
      body: input,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: {
        code: string;
        message: string;
        details: { issues: { line: number; path: string }[]; issueCount: number };
      };
      request_id: string;
    };
    expect(body.request_id).toBe("req-bad-lines");
    expect(body.error.code).toBe("validation_error");
    expect(body.error.message).toMatch(/^Invalid batch requests: line 2: /);
    expect(body.error.details.issues.map((i) => i.line)).toEqual([2, 4, 5, 6, 7, 8]);
    expect(body.error.details.issues[1]!.path).toBe("line 4: custom_id");
    const after = (await (await call("GET", `/v1/sluice/batches/${batch.id}`, api.a.key)).json()) as {
      request_counts: { total: number };
    };
    expect(after.request_counts.total).toBe(0);
    const stored = await t.db
      .selectFrom("batchRequests")
      .select("customId")
      .where("batchId", "=", batch.id)
      .execute();
    expect(stored).toEqual([]);
  });

  it("refuses a custom id the batch already holds, and input over the provider's limit, adding nothing", async () => {
    const batch = await draft();
    const first = await call("POST", `/v1/sluice/batches/${batch.id}/requests`, api.a.key, {
      requests: [
        { customId: "x", body: { messages: [{ role: "user", content: "x" }] } },
        { customId: "y", body: { messages: [{ role: "user", content: "y" }] } },
      ],
    });
    expect(first.status).toBe(200);
    const again = await call(
      "POST",
      `/v1/sluice/batches/${batch.id}/requests`,
      api.a.key,
      `${line("z")}\n${line("x")}`,
      "application/jsonl",
    );
    expect(again.status).toBe(400);
    expect(
      ((await again.json()) as { error: { details: { issues: unknown[] } } }).error.details.issues,
    ).toEqual([{ line: 2, path: "line 2: custom_id", message: '"x" is already in this batch' }]);
    // The cap is 5 requests: two stored, four more would make six.
    const over = await call(
      "POST",
      `/v1/sluice/batches/${batch.id}/requests`,
      api.a.key,
      ["p", "q", "r", "s"].map((id) => line(id)).join("\n"),
      "application/jsonl",
    );
    expect(over.status).toBe(400);
    const overBody = (await over.json()) as {
      error: { message: string; details: { issues: { line: number }[] } };
    };
    expect(overBody.error.details.issues.map((i) => i.line)).toEqual([4]);
    expect(overBody.error.message).toMatch(/at most 5 requests/);
    const stored = await t.db
      .selectFrom("batchRequests")
      .select("customId")
      .where("batchId", "=", batch.id)
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => r.customId)).toEqual(["x", "y"]);
    // The cap is also 10 MB of requests as the provider would receive them (4 MB lines: the third is over).
    const heavy = await call(
      "POST",
      `/v1/sluice/batches/${batch.id}/requests`,
      api.a.key,
      [
        line("big-1", "a".repeat(4_000_000)),
        line("big-2", "b".repeat(4_000_000)),
        line("big-3", "c".repeat(4_000_000)),
      ].join("\n"),
      "application/jsonl",
    );
    expect(heavy.status).toBe(400);
    const heavyBody = (await heavy.json()) as {
      error: { message: string; details: { issues: { line: number }[] } };
    };
    expect(heavyBody.error.details.issues.map((i) => i.line)).toEqual([3]);
    expect(heavyBody.error.message).toMatch(/at most 10000000 bytes of requests/);
    const still = await t.db
      .selectFrom("batchRequests")
      .select("customId")
      .where("batchId", "=", batch.id)
      .execute();
    expect(still.map((r) => r.customId).sort()).toEqual(["x", "y"]);
    // Unknown models and models without a Batch API are refused when the batch is created.
    const unknown = await call("POST", "/v1/sluice/batches", api.a.key, {
      name: "n",
      model: "no-such-model",
    });
    expect(unknown.status).toBe(404);
    const embedding = await call("POST", "/v1/sluice/batches", api.a.key, {
      name: "n",
      model: "text-embedding-3-small",
    });
    expect(embedding.status).toBe(400);
  });

  it("answers bad cursors, null bytes and endless lines with a 400, never a 500", async () => {
    const batch = await draft();
    for (const cursor of [
      "nope",
      Buffer.from("r:9999999999").toString("base64url"),
      Buffer.from("s:1").toString("base64url"),
    ]) {
      const res = await call("GET", `/v1/sluice/batches/${batch.id}/requests?cursor=${cursor}`, api.a.key);
      expect([cursor, res.status]).toEqual([cursor, 400]);
    }
    expect((await call("GET", "/v1/sluice/batches?cursor=bm9wZQ", api.a.key)).status).toBe(400);
    const nul = await call("POST", "/v1/sluice/batches", api.a.key, {
      name: "bad\u0000name",
      model: "sim-small",
    });
    expect(nul.status).toBe(400);
    const meta = await call("POST", "/v1/sluice/batches", api.a.key, {
      name: "n",
      model: "sim-small",
      metadata: { k: "v\u0000" },
    });
    expect(meta.status).toBe(400);
    // One line of 9 MB with no newline: refused without being kept whole.
    const long = await call(
      "POST",
      `/v1/sluice/batches/${batch.id}/requests`,
      api.a.key,
      "x".repeat(9 * 1024 * 1024),
      "application/jsonl",
    );
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(
      /line 1: \(line\): is longer than/,
    );
  });

  it("shows, changes and streams nothing of another tenant's batch", async () => {
    const batch = await draft(api.a.key);
    const paths: [string, string][] = [
      ["GET", `/v1/sluice/batches/${batch.id}`],
      ["GET", `/v1/sluice/batches/${batch.id}/requests`],
      ["GET", `/v1/sluice/batches/${batch.id}/responses`],
      ["GET", `/v1/sluice/batches/${batch.id}/results`],
      ["POST", `/v1/sluice/batches/${batch.id}/submit`],
      ["POST", `/v1/sluice/batches/${batch.id}/cancel`],
      ["DELETE", `/v1/sluice/batches/${batch.id}`],
    ];
    for (const [method, path] of paths) {
      const res = await call(method, path, api.b.key);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    const added = await call(
      "POST",
      `/v1/sluice/batches/${batch.id}/requests`,
      api.b.key,
      line("intruder"),
      "application/jsonl",
    );
    expect(added.status).toBe(404);
    const list = (await (await call("GET", "/v1/sluice/batches", api.b.key)).json()) as {
      data: { id: string }[];
    };
    expect(list.data.map((b) => b.id)).not.toContain(batch.id);
    // Still a draft with no requests; its owner deletes it.
    expect(await (await call("GET", `/v1/sluice/batches/${batch.id}`, api.a.key)).json()).toMatchObject({
      status: "draft",
      request_counts: { total: 0 },
    });
    expect((await call("DELETE", `/v1/sluice/batches/${batch.id}`, api.a.key)).status).toBe(200);
    expect((await call("GET", `/v1/sluice/batches/${batch.id}`, api.a.key)).status).toBe(404);
  });
});
