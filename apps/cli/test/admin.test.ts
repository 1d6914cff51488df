import fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createSluiceClient } from "@sluice/client";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./runCli.ts";
import { startUp, type UpProcess } from "./upProcess.ts";

const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-admin-"));
let up: UpProcess;
let receiver: Server;
let receiverUrl: string;
let receiverFails = true;
const env = () => ({ SLUICE_HOME: home });
const oneLine = (text: string) => text.trim().split("\n").length === 1;
/** A command's JSON output; a failure shows what it printed instead. */
function json<T>(run: { code: number | null; stdout: string; stderr: string }): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = receiverFails ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // The receiver listens on 127.0.0.1: private webhook targets are allowed explicitly.
  up = await startUp(["--port", "0", "--allow-private-webhooks"], {
    DATABASE_URL: t.url,
    SLUICE_HOME: home,
    OPENAI_API_KEY: "",
    ANTHROPIC_API_KEY: "",
    SLUICE_WORKER_POLL_MS: "200",
    SLUICE_BATCH_POLL_MS: "200",
    // Webhook deliveries give up at once, so a failing receiver makes a dead letter quickly.
    SLUICE_JOBS: JSON.stringify({ "webhook.deliver": { retryLimit: 0 } }),
  });
});
afterAll(async () => {
  await up?.interrupt();
  await new Promise((resolve) => receiver.close(resolve));
  fs.rmSync(home, { recursive: true, force: true });
});

const chatPayload = JSON.stringify({
  request: { model: "sim-small", messages: [{ role: "user", content: "hi" }], max_tokens: 5 },
});

describe("admin CLI against a running stack", () => {
  it("requeues a dead letter end to end: it dies, is listed, is requeued and completes", async () => {
    const job = await runCli(
      [
        "jobs",
        "enqueue",
        "chat.complete",
        "--payload",
        chatPayload,
        "--webhook",
        receiverUrl,
        "--key",
        up.demoKey,
        "--watch",
      ],
      env(),
    );
    expect(job.code, job.stderr).toBe(0);
    let deadId = "";
    await expect
      .poll(
        async () => {
          const list = await runCli(["dead-letters", "list", "--kind", "webhook.deliver", "--json"], env());
          const items = (JSON.parse(list.stdout) as { items: { id: string }[] }).items;
          deadId = items[0]?.id ?? "";
          return items.length;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(1);
    const shown = await runCli(["dead-letters", "show", deadId], env());
    expect(shown.stdout).toMatch(/status\s+dead/);
    receiverFails = false;
    const requeued = await runCli(["dead-letters", "requeue", deadId, "--json"], env());
    expect(requeued.code, requeued.stderr).toBe(0);
    const newId = (JSON.parse(requeued.stdout) as { requeued: { from: string; job: { id: string } }[] })
      .requeued[0]!.job.id;
    const watched = await runCli(["jobs", "watch", newId], env());
    expect(watched.code, watched.stdout + watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/completed/);
    const after = await runCli(["dead-letters", "list", "--kind", "webhook.deliver", "--json"], env());
    expect((JSON.parse(after.stdout) as { items: unknown[] }).items).toHaveLength(0);
  });

  it("jobs watch renders progress and exits 0 on completion, 1 with one line on failure", async () => {
    const ok = await runCli(
      ["jobs", "enqueue", "chat.complete", "--payload", chatPayload, "--key", up.demoKey, "--json"],
      env(),
    );
    const id = (JSON.parse(ok.stdout) as { job: { id: string } }).job.id;
    const watched = await runCli(["jobs", "watch", id, "--key", up.demoKey], env());
    expect(watched.code).toBe(0);
    expect(watched.stdout.trim().split("\n")).toEqual(expect.arrayContaining(["started", "completed"]));
    const bad = await runCli(
      [
        "jobs",
        "enqueue",
        "tickets.classify",
        "--payload",
        '{"ticketId":"00000000-0000-4000-8000-000000000000"}',
        "--key",
        up.demoKey,
        "--watch",
      ],
      env(),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: not_found: job \S+ is dead: ticket/);
    expect(oneLine(bad.stderr)).toBe(true);
  });

  it("prints JSON that carries the same fields as the API", async () => {
    const client = createSluiceClient({ url: up.url, apiKey: up.demoKey });
    const { job } = await client.jobs.enqueue.mutate({
      kind: "chat.complete",
      payload: JSON.parse(chatPayload),
    });
    const shown = await runCli(["jobs", "show", job.id, "--key", up.demoKey, "--json"], env());
    const fromCli = json<Record<string, unknown>>(shown);
    const fromApi = await client.jobs.get.query({ id: job.id });
    expect(Object.keys(fromCli).sort()).toEqual(Object.keys(fromApi).sort());
    expect(fromCli.id).toBe(fromApi.id);
    for (const args of [
      ["tenants", "list", "--json"],
      ["jobs", "list", "--key", up.demoKey, "--json"],
      ["dead-letters", "list", "--json"],
      ["tickets", "stats", "--key", up.demoKey, "--json"],
      ["stats", "--key", up.demoKey, "--json"],
      ["classify", "My invoice is wrong", "--key", up.demoKey, "--json"],
    ]) {
      const run = await runCli(args, env());
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
      expect(() => JSON.parse(run.stdout), `${args.join(" ")}: ${run.stdout}`).not.toThrow();
    }
    const created = await runCli(
      ["tenants", "create", `cli-${Date.now()}`, "--rpm", "60", "--budget", "5", "--json"],
      env(),
    );
    const tenant = JSON.parse(created.stdout) as {
      id: string;
      rateLimitRpm: number;
      dailyBudgetMicros: number;
    };
    expect(tenant).toMatchObject({ rateLimitRpm: 60, dailyBudgetMicros: 5_000_000 });
    const key = await runCli(["keys", "create", tenant.id, "--json"], env());
    const plaintext = json<{ plaintext: string }>(key).plaintext;
    const limits = await runCli(["tenants", "limits", tenant.id, "--rpm", "none", "--json"], env());
    expect(json(limits)).toMatchObject({ rateLimitRpm: null });
    const keys = await runCli(["keys", "list", tenant.id, "--json"], env());
    const keyId = json<{ id: string }[]>(keys)[0]!.id;
    expect((await runCli(["keys", "revoke", keyId], env())).code).toBe(0);
    const revoked = await runCli(["jobs", "list", "--key", plaintext], env());
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/^error: unauthorized: /);
  });

  it("answers bad flags and unknown commands with exit 2 and help, an unreachable API or a bad key with exit 1 and one line", async () => {
    const unknown = await runCli(["jobz"], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'jobz'/);
    const flag = await runCli(["jobs", "list", "--limit", "zero"], env());
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--limit/);
    expect(flag.stderr).toMatch(/--help/);
    const missing = await runCli(["dead-letters", "purge"], env());
    expect(missing.code).toBe(2);
    const both = await runCli(
      ["dead-letters", "requeue", "--all", "00000000-0000-4000-8000-000000000000"],
      env(),
    );
    expect(both.code).toBe(2);
    const unreachable = await runCli(["tenants", "list", "--url", "http://127.0.0.1:9"], env());
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^error: service_unavailable: cannot reach the Sluice API at http:\/\/127.0.0.1:9/,
    );
    expect(oneLine(unreachable.stderr)).toBe(true);
    const badKey = await runCli(["tenants", "list", "--key", "slk_bad"], env());
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^error: unauthorized: invalid API key \(request \S+\)$/m);
    expect(oneLine(badKey.stderr)).toBe(true);
    const tenantKey = await runCli(["tenants", "list", "--key", up.demoKey], env());
    expect(tenantKey.stderr).toMatch(/^error: forbidden: /);
    for (const args of [
      ["up", "--help"],
      ["jobs", "watch", "--help"],
      ["dead-letters", "requeue", "--help"],
      ["classify", "--help"],
    ]) {
      const help = await runCli(args, env());
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Example/);
    }
  });
  it("creates a batch from a JSONL file, watches it to the end and fetches its results; a bad file adds nothing", {
    timeout: 60_000,
  }, async () => {
    const line = (id: string) =>
      JSON.stringify({
        custom_id: id,
        body: { messages: [{ role: "user", content: `hi ${id}` }], max_tokens: 5 },
      });
    const input = path.join(home, "batch.jsonl");
    fs.writeFileSync(input, `${line("one")}\n${line("two")}\n${line("three")}\n`);
    const created = await runCli(
      ["batches", "create", "--file", input, "--model", "sim-small", "--watch", "--key", up.demoKey],
      env(),
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/status\s+completed/);
    // Off a terminal, watching prints a line per change, with the provider's own count.
    expect(created.stdout).toMatch(/^completed tier 0: 3\/3 answered, 3\/3 done at the provider$/m);
    const list = json<{ items: { id: string; name: string; counts: { succeeded: number } }[] }>(
      await runCli(["batches", "list", "--key", up.demoKey, "--json"], env()),
    );
    const batch = list.items.find((b) => b.name === "batch.jsonl")!;
    expect(batch.counts.succeeded).toBe(3);
    const out = path.join(home, "results.jsonl");
    const results = await runCli(["batches", "results", batch.id, "--out", out, "--key", up.demoKey], env());
    expect(results.code, results.stderr).toBe(0);
    const lines = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.custom_id, l.status])).toEqual([
      ["one", "succeeded"],
      ["two", "succeeded"],
      ["three", "succeeded"],
    ]);
    const bad = path.join(home, "bad.jsonl");
    fs.writeFileSync(bad, `${line("a")}\n{oops\n${line("a")}\n`);
    const refused = await runCli(
      ["batches", "create", "--file", bad, "--model", "sim-small", "--key", up.demoKey],
      env(),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: validation_error: Invalid batch requests: line 2: /);
    expect(refused.stderr).toMatch(/line 3: custom_id: "a" appears more than once/);
    const after = json<{ items: { name: string }[] }>(
      await runCli(["batches", "list", "--key", up.demoKey, "--json"], env()),
    );
    expect(after.items.map((b) => b.name)).not.toContain("bad.jsonl");
  });
});
