import { Writable } from "node:stream";
import { useTestDatabase } from "@sluice/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED_PATHS } from "../src/logging/httpLogger.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, { logger: pino({ level: "info", redact: REDACTED_PATHS }, sink) });
});
afterAll(() => api.close());

describe("request logs", () => {
  it("write one JSON line per request with the request id, and never the key or the prompt", async () => {
    const secretPrompt = "my account number is 12345678";
    const res = await fetch(`${api.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${api.a.key}`,
        "content-type": "application/json",
        "x-request-id": "log-1",
      },
      body: JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: secretPrompt }] }),
    });
    expect(res.status).toBe(200);
    await fetch(`${api.url}/v1/models`, { headers: { "x-request-id": "log-2" } });
    await expect.poll(() => lines.filter((l) => l.request_id === "log-2").length).toBe(1);
    const ok = lines.find((l) => l.request_id === "log-1");
    expect(ok).toMatchObject({
      level: 30,
      req: { method: "POST", url: "/v1/chat/completions" },
      res: { statusCode: 200 },
    });
    expect(lines.find((l) => l.request_id === "log-2")).toMatchObject({
      level: 40,
      res: { statusCode: 401 },
    });
    const all = JSON.stringify(lines);
    expect(all).not.toContain(api.a.key);
    expect(all).not.toContain(secretPrompt);
  });

  it("log an event stream its client closed as info, not as an error", async () => {
    const controller = new AbortController();
    const job = await fetch(`${api.url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        kind: "tickets.classifyBatch",
        payload: { pending: true, limit: 1 },
        run_at: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    });
    const { id } = (await job.json()) as { id: string };
    const stream = await fetch(`${api.url}/v1/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${api.a.key}`, "x-request-id": "log-sse" },
      signal: controller.signal,
    });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    controller.abort();
    await expect
      .poll(() => lines.find((l) => l.request_id === "log-sse"))
      .toMatchObject({
        level: 30,
        msg: "stream closed by client",
        res: { statusCode: 200 },
      });
  });

  it("write nothing for successful requests when the level is above info", async () => {
    const quiet: unknown[] = [];
    const quietApi = await startTestApi(t, {
      logger: pino(
        { level: "warn" },
        new Writable({
          write(chunk, _e, done) {
            quiet.push(String(chunk));
            done();
          },
        }),
      ),
    });
    try {
      await fetch(`${quietApi.url}/healthz`);
      await fetch(`${quietApi.url}/v1/models`);
      await expect.poll(() => quiet.length).toBe(1);
      expect(String(quiet[0])).toContain('"statusCode":401');
    } finally {
      await quietApi.close();
    }
  });
});
