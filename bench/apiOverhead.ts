// Sluice /v1/chat/completions (auth, rate limit, budget and call log all on) versus the same
// request sent straight to the zero-latency simulator, through the Portkey gateway, and through a bare
// Node proxy (bench/bareProxy.ts: the floor any Node gateway can reach), in one run. A tool-calling
// request (two function tools and a tool_choice) is measured too, for the simulator, Sluice and the floor.
// Run: pnpm bench:api   (uses DATABASE_URL, or an embedded Postgres in a temp dir)
// A short smoke run: BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_LATENCY_REQUESTS=200 pnpm bench:api
// Profiling: BENCH_SLUICE_ONLY=1 (or =tools for the tool-calling request) loads Sluice alone.
// Against an earlier Sluice in the same run: BENCH_BASELINE_DIR=<another checkout, installed> adds
// its API, on the same database and simulator, for the plain request (see docs/benchmarks.md).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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
import { type Measured, report, type Target } from "./apiOverheadReport.ts";
import { cpuSeconds, percentile } from "./benchStats.ts";
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

function start(args: string[], env: Record<string, string>, ready: RegExp, cwd = root): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
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

const PLAIN_BODY = JSON.stringify({
  model: "sim-small",
  messages: [{ role: "user", content: "Hello there, how are you today?" }],
});
/** Two function tools and a named tool_choice: the model answers with a call to `get_weather`. */
const TOOLS_BODY = JSON.stringify({
  model: "sim-small",
  messages: [{ role: "user", content: "What is the weather in Paris today, in celsius?" }],
  tools: [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Current weather for a city",
        parameters: {
          type: "object",
          properties: {
            city: { type: "string", description: "City name" },
            unit: { type: "string", enum: ["celsius", "fahrenheit"] },
          },
          required: ["city"],
        },
      },
    },
    {
      type: "function",
      function: {
        name: "search_flights",
        description: "Flights between two airports on a day",
        parameters: {
          type: "object",
          properties: {
            from: { type: "string" },
            to: { type: "string" },
            date: { type: "string", description: "YYYY-MM-DD" },
            passengers: { type: "integer", minimum: 1 },
          },
          required: ["from", "to", "date"],
        },
      },
    },
  ],
  tool_choice: { type: "function", function: { name: "get_weather" } },
});
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 2000);
/** Warm-up per target before the rounds: requests at c=1, then seconds at c=32. */
const WARMUP_REQUESTS = Math.min(300, LATENCY_REQUESTS);
const WARMUP_SECONDS = Math.min(2, SECONDS);

/** One request at a time over one kept-alive connection, timed to the microsecond. */
async function latencies(target: Target, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(target.url);
  const headers = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(target.body),
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
              : reject(new Error(`${target.name} (${target.request}): HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(target.body);
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
    body: target.body,
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
 * Rounds interleave the targets (direct, Sluice, Portkey, floor, …) so that a noisy neighbour
 * slows every target alike; each figure is the median over rounds.
 */
async function measureAll(targets: Target[]): Promise<Measured[]> {
  for (const target of targets) {
    await latencies(target, WARMUP_REQUESTS);
    await throughput(target, WARMUP_SECONDS);
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
    contender: t.contender,
    request: t.request,
    p50: median(rows[i]!.p50),
    p99: median(rows[i]!.p99),
    rps: median(rows[i]!.rps),
    rpsAll: rows[i]!.rps,
    cpuUs: median(rows[i]!.cpu),
    errors: rows[i]!.errors,
  }));
}

/**
 * The API of another checkout (BENCH_BASELINE_DIR, dependencies installed) on the same database and
 * simulator, started as this one is. Its code must run on this checkout's schema: Sluice's migrations
 * only add, so an earlier commit does.
 */
async function startBaseline(dbUrl: string, simUrl: string) {
  const dir = process.env.BENCH_BASELINE_DIR;
  if (!dir) return undefined;
  const commit = execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], {
    encoding: "utf8",
  }).trim();
  const port = await freePort();
  const baselineHome = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-bench-baseline-"));
  const pid = await start(
    [...API_NODE_FLAGS, "apps/api/src/main.ts"],
    {
      DATABASE_URL: dbUrl,
      SLUICE_SIMULATOR_URL: simUrl,
      SLUICE_API_PORT: String(port),
      LOG_LEVEL: "warn",
      SLUICE_HOME: baselineHome,
    },
    /listening on/,
    path.resolve(dir),
  );
  return { commit, port, pid };
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
  const floorPort = await freePort();
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

  const floorPid = await start(["bench/bareProxy.ts", sim.url, String(floorPort)], {}, /listening on/);
  const baseline = await startBaseline(dbUrl, sim.url);

  const contenders: Omit<Target, "request" | "body">[] = [
    {
      name: "simulator direct",
      contender: "direct",
      url: `${sim.url}/v1/chat/completions`,
      headers: { authorization: "Bearer k" },
    },
    {
      name: "Sluice /v1/chat/completions",
      contender: "sluice",
      url: `http://127.0.0.1:${sluicePort}/v1/chat/completions`,
      headers: { authorization: `Bearer ${plaintext}` },
      pid: sluicePid,
    },
    {
      name: "Portkey gateway",
      contender: "portkey",
      url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
      headers: {
        authorization: "Bearer k",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": `${sim.url}/v1`,
      },
      pid: portkeyPid,
    },
    {
      name: "bare Node proxy (floor)",
      contender: "floor",
      url: `http://127.0.0.1:${floorPort}/v1/chat/completions`,
      headers: { authorization: "Bearer k" },
      pid: floorPid,
    },
  ];
  if (baseline)
    contenders.push({
      name: `Sluice at ${baseline.commit} (baseline)`,
      contender: "baseline",
      url: `http://127.0.0.1:${baseline.port}/v1/chat/completions`,
      headers: { authorization: `Bearer ${plaintext}` },
      pid: baseline.pid,
    });
  const all: Target[] = [
    ...contenders.map((c): Target => ({ ...c, request: "plain", body: PLAIN_BODY })),
    // The question here is what a tool-calling request costs Sluice beyond the floor (the simulator
    // answering it is their baseline), so Portkey is left out of this half.
    // An earlier Sluice may not know tools at all: it serves the plain request only.
    ...contenders
      .filter((c) => c.contender !== "portkey" && c.contender !== "baseline")
      .map((c): Target => ({ ...c, request: "tools", body: TOOLS_BODY })),
  ];
  if (process.env.BENCH_SLUICE_ONLY) {
    // For profiling: load only Sluice, long enough that start-up is a small share of the profile.
    const request = process.env.BENCH_SLUICE_ONLY === "tools" ? "tools" : "plain";
    const target = all.find((t) => t.contender === "sluice" && t.request === request)!;
    const only = await throughput(target, SECONDS);
    console.log(
      `Sluice alone (${request}): ${only.rps.toFixed(0)} req/s at c=32, ${only.cpuUsPerRequest.toFixed(0)} µs CPU per request, ${only.errors} errors`,
    );
  } else
    report(await measureAll(all), { rounds: ROUNDS, latencyRequests: LATENCY_REQUESTS, seconds: SECONDS });
  sim.stop();
} finally {
  for (const c of children) c.kill("SIGTERM");
  await db.destroy();
  await dropDatabase(admin, benchDb).catch(() => {});
  await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
