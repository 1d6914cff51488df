import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MODEL_BODY_BYTES } from "../src/app.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t);
});
afterAll(() => api.close());

describe("metrics and HTTP hygiene", () => {
  it("exposes the named series after traffic", async () => {
    const sdk = new OpenAI({ apiKey: api.a.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    await sdk.chat.completions.create({
      model: "sim-small",
      messages: [{ role: "user", content: "m" }],
      temperature: 0,
    });
    await sdk.chat.completions.create({
      model: "sim-small",
      messages: [{ role: "user", content: "m" }],
      temperature: 0,
    });
    await sdk.chat.completions.create({
      model: "cascade:simulator",
      messages: [{ role: "user", content: "c" }],
    });
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(
      /sluice_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions",status="200"\} 3/,
    );
    expect(text).toMatch(
      /sluice_model_calls_total\{model="sim-small",provider="simulator",status="ok"\} \d+/,
    );
    expect(text).toMatch(/sluice_model_tokens_total\{model="sim-small",direction="input"\} \d+/);
    expect(text).toMatch(/sluice_model_cost_micros_total\{model="sim-small"\} \d+/);
    expect(text).toMatch(/sluice_cache_hits_total\{model="sim-small"\} 1/);
    expect(text).toMatch(
      /sluice_cascade_runs_total\{cascade="simulator",outcome="\w+",draft_accepted="(true|false)"\} 1/,
    );
    expect(text).toContain("sluice_http_requests_in_flight");
  });

  it("sends security headers and answers CORS only for configured origins", async () => {
    const plain = await fetch(`${api.url}/healthz`);
    expect(plain.headers.get("x-content-type-options")).toBe("nosniff");
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${api.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const stranger = await fetch(`${api.url}/healthz`, { headers: { origin: "https://evil.example" } });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers unknown routes and oversized bodies in the envelope", async () => {
    const missing = await fetch(`${api.url}/nope`, { headers: { "x-request-id": "nf-1" } });
    expect([missing.status, await missing.json()]).toEqual([
      404,
      { error: { code: "not_found", message: "no route for GET /nope" }, request_id: "nf-1" },
    ]);
    const huge = await fetch(`${api.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "sim-small",
        messages: [{ role: "user", content: "x".repeat(MAX_MODEL_BODY_BYTES) }],
      }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("validation_error");
  });
});
