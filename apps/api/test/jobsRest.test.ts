import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, { worker: true });
});
afterAll(() => api.close());

const call = (method: string, path: string, key: string, body?: unknown, requestId?: string) =>
  fetch(`${api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(requestId ? { "x-request-id": requestId } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const chatJob = {
  kind: "chat.complete",
  payload: { request: { model: "sim-small", messages: [{ role: "user", content: "hello" }], max_tokens: 8 } },
};

describe("REST jobs", () => {
  it("POST /v1/jobs answers 202 with the job and its status URL, which shows it completing", async () => {
    const res = await call("POST", "/v1/jobs", api.a.key, chatJob);
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; status: string; status_url: string };
    expect(job).toMatchObject({ object: "job", status: "queued", status_url: `/v1/jobs/${job.id}` });
    expect(res.headers.get("location")).toBe(job.status_url);
    await expect
      .poll(
        async () =>
          ((await (await call("GET", job.status_url, api.a.key)).json()) as { status: string }).status,
        {
          timeout: 15_000,
        },
      )
      .toBe("completed");
    const done = (await (await call("GET", job.status_url, api.a.key)).json()) as {
      result: { content: string };
    };
    expect(typeof done.result.content).toBe("string");
    const list = (await (await call("GET", "/v1/jobs?kind=chat.complete", api.a.key)).json()) as {
      data: { id: string }[];
    };
    expect(list.data.map((j) => j.id)).toContain(job.id);
  });

  it("returns the first job for a repeated idempotency key (200), and cancels with DELETE", async () => {
    const body = {
      ...chatJob,
      idempotency_key: "rest-key-1",
      run_at: new Date(Date.now() + 3_600_000).toISOString(),
    };
    const first = await call("POST", "/v1/jobs", api.a.key, body);
    const again = await call("POST", "/v1/jobs", api.a.key, body);
    expect([first.status, again.status]).toEqual([202, 200]);
    const id = ((await first.json()) as { id: string }).id;
    expect(((await again.json()) as { id: string }).id).toBe(id);
    const cancelled = await call("DELETE", `/v1/jobs/${id}`, api.a.key);
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe("cancelled");
    const twice = await call("DELETE", `/v1/jobs/${id}`, api.a.key, undefined, "rest-cancel-2");
    expect(twice.status).toBe(409);
    expect(await twice.json()).toMatchObject({ error: { code: "conflict" }, request_id: "rest-cancel-2" });
  });

  it("rejects a bad job with 400 naming each path, and queues nothing", async () => {
    const res = await call(
      "POST",
      "/v1/jobs",
      api.a.key,
      {
        kind: "chat.complete",
        payload: { request: { model: "sim-small", messages: [] } },
        priority: "urgent",
      },
      "rest-bad-1",
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; details: { issues: { path: string }[] } };
      request_id: string;
    };
    expect(body).toMatchObject({ error: { code: "validation_error" }, request_id: "rest-bad-1" });
    expect(body.error.details.issues.map((i) => i.path)).toContain("priority");
    const payloadError = await call("POST", "/v1/jobs", api.a.key, {
      kind: "chat.complete",
      payload: { request: {} },
    });
    const issues = ((await payloadError.json()) as { error: { details: { issues: { path: string }[] } } })
      .error.details.issues;
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["request.model", "request.messages"]));
    for (const bad of ["[1,2]", "{", '"text"']) {
      const raw = await fetch(`${api.url}/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
        body: bad,
      });
      expect(raw.status).toBe(400);
    }
    expect((await call("GET", "/v1/jobs/not-a-uuid", api.a.key)).status).toBe(400);
    expect((await call("GET", "/v1/jobs", "slk_bad")).status).toBe(401);
  });

  it("GET /v1/jobs/:id/events streams the history as SSE, resumes after Last-Event-ID, and is not found for another tenant", async () => {
    const res = await call("POST", "/v1/jobs", api.a.key, chatJob);
    const { id } = (await res.json()) as { id: string };
    const read = async (headers: Record<string, string> = {}) => {
      const stream = await fetch(`${api.url}/v1/jobs/${id}/events`, {
        headers: { authorization: `Bearer ${api.a.key}`, ...headers },
      });
      expect(stream.headers.get("content-type")).toBe("text/event-stream");
      const frames = (await stream.text()).split("\n\n").filter(Boolean);
      return frames.map((f) => ({
        id: Number(/^id: (\d+)/m.exec(f)?.[1]),
        type: /^event: (\S+)/m.exec(f)?.[1],
      }));
    };
    const all = await read();
    expect(all.map((e) => e.type)).toEqual(["queued", "started", "completed"]);
    const rest = await read({ "last-event-id": String(all[0]!.id) });
    expect(rest).toEqual(all.slice(1));
    const other = await fetch(`${api.url}/v1/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${api.b.key}` },
    });
    expect(other.status).toBe(404);
    const bad = await fetch(`${api.url}/v1/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${api.a.key}`, "last-event-id": "x" },
    });
    expect(bad.status).toBe(400);
  });
});
