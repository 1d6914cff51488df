// Sluice /v1/chat/completions (auth, rate limit, budget and call log all on) versus the same
// request sent straight to the zero-latency simulator and through the Portkey gateway, in one run.
// Run: pnpm bench:api   (uses DATABASE_URL, or an embedded Postgres in a temp dir)
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { createApiKey } from "../packages/core/src/index.ts";
import {
  createDb,
  insertTenant,
  migrateToLatest,
  resolveDatabase,
  withDatabase,
} from "../packages/db/src/index.ts";
import { dropDatabase, withAdminClient } from "../packages/db/src/testing/templateDatabase.ts";
import { spawnSimulator } from "./spawnSimulator.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const root = fileURLToPath(new URL("..", import.meta.url));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}): ${out}`)));
  });
}

async function measure(name: string, url: string, headers: Record<string, string>) {
  const body = JSON.stringify({
    model: "sim-small",
    messages: [{ role: "user", content: "Hello there, how are you today?" }],
  });
  const run = (connections: number, duration: number) =>
    autocannon({
      url,
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      connections,
      duration,
    });
  await run(8, 3);
  const single = await run(1, SECONDS);
  const many = await run(32, SECONDS);
  const errors = single.non2xx + single.errors + many.non2xx + many.errors;
  return { name, p50: single.latency.p50, p99: single.latency.p99, rps: many.requests.average, errors };
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-bench-api-"));
fs.chmodSync(home, 0o755);
const server = await resolveDatabase({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: path.join(home, "pg"),
  handleSignals: false,
});
const benchDb = `sluice_bench_${Date.now().toString(36)}`;
const admin = withDatabase(server.url, "postgres");
await withAdminClient(admin, (c) => c.query(`create database ${benchDb}`));
const dbUrl = withDatabase(server.url, benchDb);
const db = createDb(dbUrl);
try {
  await migrateToLatest(db);
  const tenant = await insertTenant(db, {
    name: "bench",
    rateLimitRpm: 10_000_000,
    rateLimitTpm: 2_000_000_000,
    dailyBudgetMicros: 1_000_000_000_000,
  });
  const { plaintext } = await createApiKey(db, { tenantId: tenant.id, role: "tenant" });
  const sim = await spawnSimulator();
  const sluicePort = await freePort();
  const portkeyPort = await freePort();
  const profileDir = process.env.BENCH_PROFILE_DIR;
  await start(
    [...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), "apps/api/src/main.ts"],
    {
      DATABASE_URL: dbUrl,
      SLUICE_SIMULATOR_URL: sim.url,
      SLUICE_API_PORT: String(sluicePort),
      LOG_LEVEL: "warn",
      SLUICE_HOME: home,
    },
    /listening on/,
  );
  await start(
    ["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${portkeyPort}`, "--headless"],
    { NODE_ENV: "production" },
    /Ready for connections/,
  );

  const results = [
    await measure("simulator direct", `${sim.url}/v1/chat/completions`, { authorization: "Bearer k" }),
    await measure("Sluice /v1/chat/completions", `http://127.0.0.1:${sluicePort}/v1/chat/completions`, {
      authorization: `Bearer ${plaintext}`,
    }),
    await measure("Portkey gateway", `http://127.0.0.1:${portkeyPort}/v1/chat/completions`, {
      authorization: "Bearer k",
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${sim.url}/v1`,
    }),
  ];
  const direct = results[0]!;
  console.log(
    `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}), ${SECONDS}s per measurement after a 3s warm-up`,
  );
  console.log(
    "| target | p50 (c=1) | p99 (c=1) | added p50 | req/s (c=32) | errors |\n|---|---|---|---|---|---|",
  );
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.p50} ms | ${r.p99} ms | ${(r.p50 - direct.p50).toFixed(2)} ms | ${r.rps.toFixed(0)} | ${r.errors} |`,
    );
  }
  sim.stop();
} finally {
  for (const c of children) c.kill("SIGTERM");
  await db.destroy();
  await dropDatabase(admin, benchDb).catch(() => {});
  await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
