import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApiKey } from "@sluice/core";
import { insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiProcess } from "./support/apiProcess.ts";

// One key's requests/min shared by two API processes: together they admit no more than the limit.

const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-key-rpm-"));
let sim: Awaited<ReturnType<typeof startSimulator>>;
const processes: ChildProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  const env = {
    DATABASE_URL: t.url,
    SLUICE_SIMULATOR_URL: sim.url,
    SLUICE_API_PORT: "0",
    LOG_LEVEL: "silent",
    SLUICE_HOME: home,
  };
  const apis = await Promise.all([startApiProcess(env), startApiProcess(env)]);
  for (const api of apis) {
    processes.push(api.child);
    urls.push(await api.ready);
  }
});
afterAll(async () => {
  for (const p of processes) p.kill("SIGTERM");
  await sim.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe("a key's rate limit across two API processes", () => {
  it("admits the key's requests/min in total, refuses the rest as the key's, and leaves its tenant's other keys alone", async () => {
    const tenant = await insertTenant(t.db, { name: "key-rpm-two-apis" });
    const limited = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant", rateLimitRpm: 10 });
    const free = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    const call = (url: string, key: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "sim-small",
          messages: [{ role: "user", content: "x" }],
          max_tokens: 4,
        }),
      });
    const startedMinute = Math.floor(Date.now() / 60_000);
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(urls[i % 2]!, limited.plaintext)),
    );
    // The count is per minute: a run that straddles a minute may admit a second minute's worth.
    const minutes = Math.floor(Date.now() / 60_000) - startedMinute + 1;
    const statuses = responses.map((r) => r.status);
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 * minutes);
    const refusal = (await responses.find((r) => r.status === 429)?.json()) as {
      error: { code: string; details: { scope: string } };
    };
    expect(refusal.error).toMatchObject({ code: "rate_limit_exceeded", details: { scope: "key" } });
    for (const url of urls) expect((await call(url, free.plaintext)).status).toBe(200);
  });
});
