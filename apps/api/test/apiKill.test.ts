import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApiKey } from "@sluice/core";
import { insertTenant } from "@sluice/db";
import { findFreePort, useTestDatabase } from "@sluice/db/testing";
import { type RunningSimulator, startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import { startApiProcess } from "./support/apiProcess.ts";
import { eventSourceClient } from "./support/trpcClients.ts";

// The API process killed with SIGKILL in the middle of streams: a REST client gets a clear error at
// once, and a typed client reconnects to the restarted API and is told, in a final event, that its
// stream is gone (streams live in the process that started them).
const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-api-kill-"));
let simulator: RunningSimulator;
let key: string;
let port: number;
const children: ChildProcess[] = [];

async function startApi(): Promise<ChildProcess> {
  const { child } = await startApiProcess({
    DATABASE_URL: t.url,
    SLUICE_SIMULATOR_URL: simulator.url,
    SLUICE_API_PORT: String(port),
    SLUICE_HOME: home,
    LOG_LEVEL: "warn",
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  simulator = await startSimulator({ seed: 42, latency: "realistic" });
  const tenant = await insertTenant(t.db, { name: `kill-${randomUUID().slice(0, 6)}` });
  key = (await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" })).plaintext;
  port = await findFreePort();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await simulator.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const longRequest = (content: string) => ({
  model: "sim-large",
  messages: [{ role: "user" as const, content }],
  max_tokens: 400,
});

describe("the API process killed mid-stream", () => {
  it("gives a REST stream a clear error, and a typed client its stream's end after a restart", {
    timeout: 60_000,
  }, async () => {
    const first = await startApi();
    const url = `http://127.0.0.1:${port}`;
    const client = eventSourceClient<AppRouter>({
      url: `${url}/trpc`,
      headers: { authorization: `Bearer ${key}` },
    });
    const events: { id: string; type: string; code?: string }[] = [];
    let resolveEnd!: () => void;
    const ended = new Promise<void>((resolve) => {
      resolveEnd = resolve;
    });
    let received!: () => void;
    const someArrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    const sub = client.chat.stream.subscribe(
      {
        streamId: randomUUID(),
        request: longRequest("Tell a long story about a lighthouse keeper."),
        mode: "optimistic",
      },
      {
        onData: ({ id, data }) => {
          events.push({ id, type: data.type, ...(data.type === "error" ? { code: data.error.code } : {}) });
          if (events.length === 3) received();
          if (data.type === "error" || data.type === "done") {
            sub.unsubscribe();
            resolveEnd();
          }
        },
        onError: () => resolveEnd(),
      },
    );
    // A REST stream at the same time.
    const rest = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ ...longRequest("Tell another long story, about a ferryman."), stream: true }),
    });
    expect(rest.status).toBe(200);
    const restText = rest.text();
    await someArrived;

    first.kill("SIGKILL");
    const killedAt = performance.now();
    // The REST client is told at once that the stream broke off; it does not hang.
    await expect(restText).rejects.toThrow();
    expect(performance.now() - killedAt).toBeLessThan(2_000);

    await startApi();
    await ended;
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: "error", code: "not_found" });
    const before = events.slice(0, -1);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.every((e) => e.type !== "error")).toBe(true);
    // Ids kept increasing across the reconnect: nothing was repeated.
    const ids = events.map((e) => Number.parseInt(e.id, 10));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
