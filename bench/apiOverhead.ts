// Sluice /v1/chat/completions (auth, rate limit, budget and call log all on) versus the same
// request sent straight to the zero-latency simulator and through the Portkey gateway, in one run.
// Run: pnpm bench:api   (uses DATABASE_URL, or an embedded Postgres in a temp dir)
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { API_NODE_FLAGS } from "../apps/api/src/nodeFlags.ts";
import { createApiKey } from "../packages/core/src/index.ts";
import {
  createDb,
  insertTenant,
  installQueueSchema,
  migrateToLatest,
  resolveDatabase,
  withDatabase,
} from "../packages/db/src/index.ts";
import { dropDatabase, withAdminClient } from "../packages/db/src/testing/templateDatabase.ts";
import { cpuSeconds, ms, percentile } from "./benchStats.ts";
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

function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<number> {
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
      if (ready.test(out)) resolve(child.pid!);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}): ${out}`)));
  });
}

const BODY = JSON.stringify({
  model: "sim-small",
  messages: [{ role: "user", content: "Hello there, how are you today?" }],
});
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 2000);

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The serving process, whose CPU time per request is reported. */
  pid?: number | undefined;
}

/** One request at a time over one kept-alive connection, timed to the microsecond. */
async function latencies(target: Target, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(target.url);
  const headers = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(BODY),
    ...target.headers,
  };
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        { hostname: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(performance.now() - started)
              : reject(new Error(`${target.name}: HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(BODY);
    });
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await once());
  agent.destroy();
  return samples;
}

async function throughput(
  target: Target,
  seconds: number,
): Promise<{ rps: number; errors: number; cpuUsPerRequest: number }> {
  const cpuBefore = target.pid ? cpuSeconds(target.pid) : 0;
  const result = await autocannon({
    url: target.url,
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: BODY,
    connections: 32,
    duration: seconds,
  });
  const cpu = target.pid ? cpuSeconds(target.pid) - cpuBefore : Number.NaN;
  return {
    rps: result.requests.average,
    errors: result.non2xx + result.errors,
    cpuUsPerRequest: (cpu * 1e6) / Math.max(1, result.requests.total),
  };
}

const median = (values: number[]) => percentile(values, 50);

/**
 * Rounds interleave the targets (direct, Sluice, Portkey, direct, …) so that a noisy neighbour
 * slows every target alike; each figure is the median over rounds.
 */
async function measureAll(targets: Target[]) {
  for (const target of targets) {
    await latencies(target, 300);
    await throughput(target, 2);
  }
  const rows = targets.map(() => ({
    p50: [] as number[],
    p99: [] as number[],
    rps: [] as number[],
    cpu: [] as number[],
    errors: 0,
  }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) {
      const samples = await latencies(target, LATENCY_REQUESTS);
      rows[i]!.p50.push(percentile(samples, 50));
      rows[i]!.p99.push(percentile(samples, 99));
    }
    for (const [i, target] of targets.entries()) {
      const { rps, errors, cpuUsPerRequest } = await throughput(target, SECONDS);
      rows[i]!.rps.push(rps);
      rows[i]!.cpu.push(cpuUsPerRequest);
      rows[i]!.errors += errors;
    }
  }
  return targets.map((t, i) => ({
    name: t.name,
    p50: median(rows[i]!.p50),
    p99: median(rows[i]!.p99),
    rps: median(rows[i]!.rps),
    rpsAll: rows[i]!.rps,
    cpuUs: median(rows[i]!.cpu),
    errors: rows[i]!.errors,
  }));
}

function report(results: Awaited<ReturnType<typeof measureAll>>): void {
  const direct = results[0]!;
  console.log(
    `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}); ${ROUNDS} interleaved rounds of ` +
      `${LATENCY_REQUESTS} sequential requests (c=1) and ${SECONDS}s at c=32 per target; medians over rounds`,
  );
  console.log(
    "| target | p50 (c=1) | p99 (c=1) | added p50 | req/s (c=32) | req/s per round | CPU per request | errors |\n|---|---|---|---|---|---|---|---|",
  );
  for (const r of results) {
    console.log(
      `| ${r.name} | ${ms(r.p50)} | ${ms(r.p99)} | ${r === direct ? "–" : ms(r.p50 - direct.p50)} | ${r.rps.toFixed(0)} | ${r.rpsAll.map((v) => v.toFixed(0)).join(", ")} | ${Number.isNaN(r.cpuUs) ? "–" : `${r.cpuUs.toFixed(0)} µs`} | ${r.errors} |`,
    );
  }
  const [sluice, portkey] = [results[1]!, results[2]!];
  console.log(
    `Sluice adds ${ms(sluice.p50 - direct.p50)} at p50 (Portkey ${ms(portkey.p50 - direct.p50)}) and serves ` +
      `${(sluice.rps / portkey.rps).toFixed(2)}x Portkey's requests/s`,
  );
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
  // As `sluice migrate` does: the API enqueues jobs, so pg-boss's schema must be there.
  await installQueueSchema(db);
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
  const sluicePid = await start(
    [
      // As `sluice up` starts it.
      ...(process.env.BENCH_API_NODE_ARGS ?? API_NODE_FLAGS.join(" ")).split(" ").filter(Boolean),
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      "apps/api/src/main.ts",
    ],
    {
      DATABASE_URL: dbUrl,
      SLUICE_SIMULATOR_URL: sim.url,
      SLUICE_API_PORT: String(sluicePort),
      LOG_LEVEL: "warn",
      SLUICE_HOME: home,
    },
    /listening on/,
  );
  const portkeyPid = await start(
    ["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${portkeyPort}`, "--headless"],
    { NODE_ENV: "production" },
    /Ready for connections/,
  );

  const all: Target[] = [
    {
      name: "simulator direct",
      url: `${sim.url}/v1/chat/completions`,
      headers: { authorization: "Bearer k" },
    },
    {
      name: "Sluice /v1/chat/completions",
      url: `http://127.0.0.1:${sluicePort}/v1/chat/completions`,
      headers: { authorization: `Bearer ${plaintext}` },
      pid: sluicePid,
    },
    {
      name: "Portkey gateway",
      url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
      headers: {
        authorization: "Bearer k",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": `${sim.url}/v1`,
      },
      pid: portkeyPid,
    },
  ];
  if (process.env.BENCH_SLUICE_ONLY) {
    // For profiling: load only Sluice, long enough that start-up is a small share of the profile.
    const only = await throughput(all[1]!, SECONDS);
    console.log(
      `Sluice alone: ${only.rps.toFixed(0)} req/s at c=32, ${only.cpuUsPerRequest.toFixed(0)} µs CPU per request, ${only.errors} errors`,
    );
  } else report(await measureAll(all));
  sim.stop();
} finally {
  for (const c of children) c.kill("SIGTERM");
  await db.destroy();
  await dropDatabase(admin, benchDb).catch(() => {});
  await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
