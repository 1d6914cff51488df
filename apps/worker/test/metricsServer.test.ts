import { pino } from "pino";
import { Gauge, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetricsServer, serveMetrics } from "../src/metrics/metricsServer.ts";
import { createWorkerMetrics } from "../src/metrics/workerMetrics.ts";

const logger = pino({ level: "silent" });
let server: MetricsServer;
let broken: MetricsServer;

beforeAll(async () => {
  server = await serveMetrics(createWorkerMetrics().registry, { host: "127.0.0.1", port: 0, logger });
  // A collector that fails makes the whole registry read fail, as a real one would.
  const registry = new Registry();
  new Gauge({
    name: "sluice_broken",
    help: "fails to collect",
    registers: [registry],
    collect() {
      throw new Error("collector failed");
    },
  });
  broken = await serveMetrics(registry, { host: "127.0.0.1", port: 0, logger });
});
afterAll(async () => {
  await server?.close();
  await broken?.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("worker metrics server", () => {
  it("answers an unknown path with 404 in the error envelope, echoing the caller's request id", async () => {
    const res = await fetch(`${server.url}/nope?x=1`, { headers: { "x-request-id": "worker-nf-1" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("worker-nf-1");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nope" },
      request_id: "worker-nf-1",
    });
  });

  it("assigns a request id when the caller sends none or a malformed one", async () => {
    for (const headers of [{}, { "x-request-id": "not a valid id/" }]) {
      const res = await fetch(`${server.url}/nope`, { headers });
      const id = res.headers.get("x-request-id");
      expect(id).toMatch(UUID);
      expect(((await res.json()) as { request_id: string }).request_id).toBe(id);
    }
  });

  it("answers a method a path does not take as no route, as the API does", async () => {
    const res = await fetch(`${server.url}/metrics`, { method: "POST", headers: { "x-request-id": "p-1" } });
    expect([res.status, await res.json()]).toEqual([
      404,
      { error: { code: "not_found", message: "no route for POST /metrics" }, request_id: "p-1" },
    ]);
  });

  it("answers a failing metrics read with 500 in the envelope, saying nothing of the cause", async () => {
    const res = await fetch(`${broken.url}/metrics`, { headers: { "x-request-id": "m-1" } });
    expect([res.status, res.headers.get("x-request-id"), await res.json()]).toEqual([
      500,
      "m-1",
      { error: { code: "internal_error", message: "the metrics could not be read" }, request_id: "m-1" },
    ]);
  });

  it("serves health and metrics with a request id", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok" }]);
    expect(health.headers.get("x-request-id")).toMatch(UUID);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("sluice_jobs_running");
  });
});
