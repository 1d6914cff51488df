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

const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-two-apis-"));
let sim: Awaited<ReturnType<typeof startSimulator>>;
const processes: ChildProcess[] = [];
const urls: string[] = [];

async function startApi(env: Record<string, string>): Promise<string> {
  const api = await startApiProcess(env);
  processes.push(api.child);
  return api.ready;
}

beforeAll(async () => {
  sim = await startSimulator();
  const env = {
    DATABASE_URL: t.url,
    SLUICE_SIMULATOR_URL: sim.url,
    SLUICE_API_PORT: "0",
    LOG_LEVEL: "silent",
    SLUICE_HOME: home,
  };
  urls.push(...(await Promise.all([startApi(env), startApi(env)])));
});
afterAll(async () => {
  for (const p of processes) p.kill("SIGTERM");
  await sim.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe("two API processes, one tenant", () => {
  it("never overspend a shared daily budget under concurrent load, and account every micro-dollar", async () => {
    const tenant = await insertTenant(t.db, { name: "shared-budget", dailyBudgetMicros: 4_000 });
    const { plaintext } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    const call = (url: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${plaintext}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "sim-small",
          messages: [{ role: "user", content: "spend" }],
          max_tokens: 1000,
        }),
      });
    const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => call(urls[i % 2]!)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    expect(statuses).toContain(200);
    const bodies = await Promise.all(
      responses.map((r) => r.json() as Promise<{ sluice?: { cost_micros: number } }>),
    );
    const reported = bodies.reduce((sum, b) => sum + (b.sluice?.cost_micros ?? 0), 0);
    const spend = () =>
      t.db
        .selectFrom("tenantDailySpend")
        .select(["spentMicros", "reservedMicros"])
        .where("tenantId", "=", tenant.id)
        .executeTakeFirstOrThrow();
    // Settled spend is written within 50 ms, and idle leases go back within a second.
    await expect.poll(spend, { timeout: 5_000 }).toEqual({ spentMicros: reported, reservedMicros: 0 });
    expect(reported).toBeLessThanOrEqual(4_000);
  });
});
