import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

// A provider fault storm (429 bursts with Retry-After, 500s, 503s, reset connections, cut streams,
// malformed bodies) during synchronous calls, streams and cascades: every request ends, either
// answered or with a typed error in the envelope (a final SSE event for streams), never a 500 and
// never a hang; once the storm passes, calls succeed again.
const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t);
});
afterAll(() => api.close());

const RETRYABLE = new Set([429, 502, 503, 504]);
const PUBLIC_CODES = new Set(["rate_limit_exceeded", "model_error", "service_unavailable", "timeout"]);

interface Outcome {
  kind: string;
  status: number;
  code?: string;
  ms: number;
}

async function call(kind: string, model: string, stream: boolean, n: number): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model,
      stream,
      messages: [{ role: "user", content: `storm ${kind} ${n}: say something` }],
      // Room for a whole answer: a cascade rejects drafts cut off by max_tokens.
      max_tokens: model.startsWith("cascade:") ? 300 : 20,
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) {
    const body = JSON.parse(text) as { error: { code: string }; request_id: string };
    expect(body.request_id).toBeTruthy();
    return { kind, status: res.status, code: body.error.code, ms };
  }
  if (!stream) return { kind, status: 200, ms };
  // A stream ends with [DONE], or with one final error event in the envelope.
  if (text.trimEnd().endsWith("data: [DONE]")) return { kind, status: 200, ms };
  const last = text.trim().split("\n\n").at(-1)!;
  const event = JSON.parse(last.replace(/^data: /, "")) as { error: { code: string }; request_id: string };
  expect(event.request_id).toBeTruthy();
  return { kind, status: 200, code: event.error.code, ms };
}

describe("provider fault storm", () => {
  it("answers every synchronous, streamed and cascade call or fails it with a typed error, and recovers", {
    timeout: 120_000,
  }, async () => {
    api.simulator.setFaults({
      "429": 0.12,
      "500": 0.08,
      "503": 0.05,
      reset: 0.05,
      cut: 0.1,
      malformed: 0.05,
    });
    const outcomes: Outcome[] = [];
    for (let wave = 0; wave < 8; wave++) {
      outcomes.push(
        ...(await Promise.all([
          ...Array.from({ length: 4 }, (_, i) => call("sync", "sim-small", false, wave * 10 + i)),
          ...Array.from({ length: 4 }, (_, i) => call("stream", "sim-small", true, wave * 10 + i)),
          call("cascade", "cascade:simulator", false, wave),
          call("cascade stream", "cascade:simulator", true, wave),
        ])),
      );
    }
    api.simulator.setFaults({});
    const failed = outcomes.filter((o) => o.code !== undefined);
    const counts = Object.fromEntries(
      [...new Set(outcomes.map((o) => `${o.kind} ${o.code ?? "ok"}`))].map((k) => [
        k,
        outcomes.filter((o) => `${o.kind} ${o.code ?? "ok"}` === k).length,
      ]),
    );
    console.log(
      `fault storm: ${outcomes.length} calls, ${failed.length} failed with typed errors: ${JSON.stringify(counts)}`,
    );
    for (const o of outcomes) {
      if (o.status !== 200)
        expect(RETRYABLE.has(o.status), `${o.kind}: HTTP ${o.status} ${o.code}`).toBe(true);
      if (o.code !== undefined) expect(PUBLIC_CODES.has(o.code), `${o.kind}: ${o.code}`).toBe(true);
    }
    // Retries and fallbacks answer most calls despite the storm.
    expect(outcomes.filter((o) => o.code === undefined).length).toBeGreaterThan(outcomes.length / 2);
    // Circuit breakers that opened close again: after the storm, calls succeed.
    await expect
      .poll(async () => (await call("after", "sim-small", false, 999)).code ?? "ok", {
        timeout: 30_000,
        interval: 500,
      })
      .toBe("ok");
  });
});
