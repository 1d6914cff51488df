// Two worker-side figures: (1) one `sluice worker` process with 1,000 jobs in flight, each blocked
// on a model call the simulator holds for 1 s: in-flight peak, wall time and peak RSS; (2) progress
// events fanned out by the API to 1,000 subscribers: latency from the event's commit to receipt.
// Run: pnpm bench:jobs:concurrency   (uses DATABASE_URL, or an embedded Postgres)
// Knobs: BENCH_TRANSPORTS (trpc,trpc-sse,trpc-raw,sse,sse-raw), BENCH_CASES (jobs,job,job-fast), BENCH_ROUNDS,
// BENCH_WARMUP_ROUNDS (3),
// BENCH_ROUND_DETAIL=1 (each round's first and last arrival), BENCH_PROFILE_DIR (CPU profile of the API),
// BENCH_SUBSCRIBER_PROFILE_DIR (CPU profile of the subscribers, during the rounds), BENCH_CHILD_LOG
// (a file the worker's and the API's output go to, e.g. with --trace-gc in BENCH_API_NODE_ARGS).
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import inspector from "node:inspector/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { EventSource } from "eventsource";
import { API_NODE_FLAGS } from "../apps/api/src/nodeFlags.ts";
import { WORKER_NODE_FLAGS } from "../apps/worker/src/nodeFlags.ts";
import { createSluiceClient } from "../packages/client/src/index.ts";
import { createApiKey, createJobCatalog, createJobService } from "../packages/core/src/index.ts";
import {
  createDb,
  insertTenant,
  installQueueSchema,
  migrateToLatest,
  startJobQueue,
} from "../packages/db/src/index.ts";
import { cpuSeconds, percentile, postgresCpuMeter, rssMb } from "./benchStats.ts";
import { benchServer } from "./jobsDatabase.ts";
import { rawSse } from "./rawSse.ts";
import { spawnSimulator } from "./spawnSimulator.ts";

const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1000);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
// More rounds per case, e.g. for a profile that is mostly deliveries (BENCH_PROFILE_DIR).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
// Rounds before the counted ones, not counted: the API and the subscribers compile their delivery
// paths during the first (V8 tiers a function up once it has run often enough), as a server that
// has been running for a while already has. BENCH_WARMUP_ROUNDS=1 measures from the second round.
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 3);
/** Which fan-out cases run: 1,000 jobs, one job at 2,000 and at 10,000 deliveries/s. */
const CASES = (process.env.BENCH_CASES ?? "jobs,job,job-fast").split(",");
const root = fileURLToPath(new URL("..", import.meta.url));
const children: ChildProcess[] = [];

function start(
  entry: string,
  env: Record<string, string>,
  ready: RegExp,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (process.env.BENCH_CHILD_LOG) fs.appendFileSync(process.env.BENCH_CHILD_LOG, d);
      if (ready.test(out)) resolve({ child, out: () => out });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${entry} exited (${code}): ${out}`)));
  });
}

/**
 * How subscribers listen: the typed client, a plain EventSource on the tRPC route or on REST, or a
 * bare HTTP reader on either that only splits the stream into events (what the server alone costs,
 * without a client library parsing 1,000 streams on the benchmark's one thread).
 */
type Transport = "trpc" | "trpc-sse" | "trpc-raw" | "sse" | "sse-raw";
const TRANSPORT_NAMES: Record<Transport, string> = {
  trpc: "tRPC, typed client",
  "trpc-sse": "tRPC route, EventSource",
  sse: "REST SSE, EventSource",
  "sse-raw": "REST SSE, bare HTTP reader",
  "trpc-raw": "tRPC route, bare HTTP reader",
};

const server = await benchServer();
const url = await server.database("concurrency");
const db = createDb(url);
await migrateToLatest(db);
await installQueueSchema(db);
const catalog = createJobCatalog();
const queue = await startJobQueue({ connectionString: url });
await queue.ensureQueues(catalog.queues());
const jobs = createJobService({ db, queue, catalog });
const tenant = await insertTenant(db, { name: "bench" });
const scope = { tenantId: tenant.id };
const home = fs.mkdtempSync(`${os.tmpdir()}/sluice-bench-conc-`);
const lines: string[] = [];
// BENCH_SUBSCRIBER_PROFILE_DIR: a CPU profile of this process (the subscribers) during each case's rounds.
const profiler = process.env.BENCH_SUBSCRIBER_PROFILE_DIR ? new inspector.Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post("Profiler.enable");
}

try {
  // 1. In-flight model calls in one worker process.
  const slowSim = await spawnSimulator({ fixedLatencyMs: 1000 });
  const worker = await start(
    "apps/worker/src/main.ts",
    {
      DATABASE_URL: url,
      SLUICE_SIMULATOR_URL: slowSim.url,
      SLUICE_HOME: home,
      LOG_LEVEL: "warn",
      SLUICE_WORKER_CONCURRENCY: String(IN_FLIGHT),
      SLUICE_MODEL_CONCURRENCY: String(IN_FLIGHT),
      SLUICE_MODEL_QUEUE: String(IN_FLIGHT),
      SLUICE_WORKER_METRICS_PORT: "0",
    },
    /metrics on http/,
    // As `sluice worker` and `sluice up` start it; BENCH_WORKER_NODE_ARGS="" compares Node's defaults.
    (process.env.BENCH_WORKER_NODE_ARGS ?? WORKER_NODE_FLAGS.join(" ")).split(" ").filter(Boolean),
  );
  const metricsUrl = /metrics on (http:\/\/\S+)/.exec(worker.out())![1]!;
  const rssBefore = rssMb(worker.child.pid!, "VmHWM");
  const payload = {
    request: { model: "sim-small", messages: [{ role: "user", content: "hi" }], max_tokens: 5 },
  };
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < IN_FLIGHT; i += 500) {
    const batch = await jobs.enqueueMany(
      scope,
      Array.from({ length: Math.min(500, IN_FLIGHT - i) }, () => ({ kind: "chat.complete", payload })),
    );
    ids.push(...batch.map((b) => b.job.id));
  }
  let peak = 0;
  for (;;) {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    peak = Math.max(peak, Number(/^sluice_jobs_running (\d+)/m.exec(text)?.[1] ?? 0));
    const done = await db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "in", ["completed", "dead"])
      .executeTakeFirstOrThrow();
    if (Number(done.n) >= IN_FLIGHT) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const wallMs = performance.now() - started;
  const dead = await db.selectFrom("jobs").select("id").where("status", "=", "dead").execute();
  const rssPeak = rssMb(worker.child.pid!, "VmHWM");
  lines.push(
    `| ${IN_FLIGHT} chat.complete jobs, each a 1 s model call, one worker (concurrency ${IN_FLIGHT}) | peak in flight ${peak} | all done in ${(wallMs / 1000).toFixed(2)} s | peak RSS ${rssPeak.toFixed(0)} MB (${rssBefore.toFixed(0)} MB at start) | ${dead.length} failed |`,
  );
  worker.child.kill("SIGTERM");
  slowSim.stop();

  // 2. Progress fan-out to subscribers through the API.
  const sim = await spawnSimulator();
  const apiPort = 3900 + Math.floor(Math.random() * 500);
  const api = await start(
    "apps/api/src/main.ts",
    {
      DATABASE_URL: url,
      SLUICE_SIMULATOR_URL: sim.url,
      SLUICE_API_PORT: String(apiPort),
      LOG_LEVEL: "warn",
      SLUICE_HOME: home,
      // All subscribers belong to one tenant.
      SLUICE_MAX_STREAMS_PER_TENANT: String(Math.max(2_000, SUBSCRIBERS * 2)),
    },
    /listening on/,
    [
      // As `sluice up` starts it.
      ...(process.env.BENCH_API_NODE_ARGS ?? API_NODE_FLAGS.join(" ")).split(" ").filter(Boolean),
      ...(process.env.BENCH_PROFILE_DIR
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
        : []),
    ],
  );
  const { plaintext } = await createApiKey(db, { tenantId: tenant.id, role: "tenant" });
  const client = createSluiceClient({ url: `http://127.0.0.1:${apiPort}`, apiKey: plaintext });
  const { insertJobEvents } = await import("../packages/db/src/index.ts");

  /** Subscribers spread over `jobCount` jobs; `rounds` of one progress event per job, `gapMs` apart. */
  async function fanOut(jobCount: number, rounds: number, gapMs: number, via: Transport): Promise<string> {
    const targets = await jobs.enqueueMany(
      scope,
      Array.from({ length: jobCount }, () => ({
        kind: "tickets.classifyBatch",
        payload: { pending: true, limit: 1 },
        runAt: new Date(Date.now() + 3_600_000),
      })),
    );
    const arrivals: [round: number, at: number][] = [];
    let connected = 0;
    const subs = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      if (via === "sse-raw" || via === "trpc-raw") {
        const id = targets[i % jobCount]!.job.id;
        const stream = rawSse(
          via === "sse-raw"
            ? `http://127.0.0.1:${apiPort}/v1/jobs/${id}/events`
            : `http://127.0.0.1:${apiPort}/trpc/jobs.onEvents?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`,
          plaintext,
          () => {
            connected++;
          },
          (type, data) => {
            if (via === "sse-raw" && type === "progress")
              arrivals.push([(JSON.parse(data) as { data: { progress: number } }).data.progress, Date.now()]);
            if (via === "trpc-raw" && type === "message") {
              const event = (JSON.parse(data) as { json: { type: string; data: { progress: number } } }).json;
              if (event.type === "progress") arrivals.push([event.data.progress, Date.now()]);
            }
          },
        );
        subs.push({ unsubscribe: () => stream.close() });
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (via === "sse" || via === "trpc-sse") {
        const id = targets[i % jobCount]!.job.id;
        // The same EventSource on both routes: the tRPC route's events are superjson-encoded.
        const source = new EventSource(
          via === "sse"
            ? `http://127.0.0.1:${apiPort}/v1/jobs/${id}/events`
            : `http://127.0.0.1:${apiPort}/trpc/jobs.onEvents?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`,
          {
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${plaintext}` } }),
          },
        );
        source.onopen = () => {
          if (via === "sse") connected++;
        };
        if (via === "sse") {
          source.addEventListener("progress", (message) => {
            const event = JSON.parse(message.data) as { data: { progress: number } };
            arrivals.push([event.data.progress, Date.now()]);
          });
        } else {
          source.addEventListener("connected", () => {
            connected++;
          });
          source.onmessage = (message) => {
            const event = (JSON.parse(message.data) as { json: { type: string; data: { progress: number } } })
              .json;
            if (event.type === "progress") arrivals.push([event.data.progress, Date.now()]);
          };
        }
        subs.push({ unsubscribe: () => source.close() });
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      subs.push(
        client.jobs.onEvents.subscribe(
          { id: targets[i % jobCount]!.job.id },
          {
            onStarted: () => {
              connected++;
            },
            onData: ({ data }) => {
              if (data.type === "progress") arrivals.push([data.data.progress as number, Date.now()]);
            },
          },
        ),
      );
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 100));
    }
    while (connected < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    // As a worker writes them: one batch of events per round, every job at once. A round's events
    // exist from its commit; the last statement before COMMIT reads the clock (a conservative start).
    // The first WARMUP_ROUNDS rounds warm the delivery path up and are not counted.
    const committedAt = new Map<number, number>();
    let apiCpu0 = 0;
    let pgCpu = postgresCpuMeter();
    let benchCpu0 = process.cpuUsage();
    for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
      if (round === WARMUP_ROUNDS) {
        const warmedBy = Date.now() + 10_000;
        while (arrivals.length < SUBSCRIBERS * WARMUP_ROUNDS && Date.now() < warmedBy)
          await new Promise((r) => setTimeout(r, 20));
        arrivals.length = 0;
        await new Promise((r) => setTimeout(r, gapMs));
        apiCpu0 = cpuSeconds(api.child.pid!);
        pgCpu = postgresCpuMeter();
        benchCpu0 = process.cpuUsage();
        if (profiler) await profiler.post("Profiler.start");
      }
      await db.transaction().execute(async (tx) => {
        await insertJobEvents(
          tx,
          targets.map((t) => ({
            jobId: t.job.id,
            tenantId: tenant.id,
            type: "progress" as const,
            data: { progress: round },
          })),
        );
        const { now } = await tx
          .selectNoFrom((eb) => eb.fn<Date>("clock_timestamp").as("now"))
          .executeTakeFirstOrThrow();
        committedAt.set(round, now.getTime());
      });
      if (round !== WARMUP_ROUNDS - 1) await new Promise((r) => setTimeout(r, gapMs));
    }
    // A warm-up round's late arrival is not counted either.
    for (let i = arrivals.length - 1; i >= 0; i--) if (arrivals[i]![0] < WARMUP_ROUNDS) arrivals.splice(i, 1);
    const expected = rounds * SUBSCRIBERS;
    const deadline = Date.now() + 15_000;
    while (arrivals.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const latencies = arrivals.map(([round, at]) => at - committedAt.get(round)!);
    if (process.env.BENCH_ROUND_DETAIL) {
      // A case's p99 is about its slowest round's last arrival: where the slow rounds are, and whether
      // they started late (the first arrival) or took long.
      const span = new Map<number, [first: number, last: number]>();
      for (const [round, at] of arrivals) {
        const ms = at - committedAt.get(round)!;
        const [first, last] = span.get(round) ?? [ms, ms];
        span.set(round, [Math.min(first, ms), Math.max(last, ms)]);
      }
      console.error(
        `${TRANSPORT_NAMES[via]}, ${jobCount} job(s): first–last arrival per round (ms) ${[...span.values()].map(([f, l]) => `${f}–${l}`).join(" ")}`,
      );
    }
    const apiCpu = ((cpuSeconds(api.child.pid!) - apiCpu0) * 1e6) / Math.max(1, latencies.length);
    const pgCpuPer = (pgCpu() * 1e6) / Math.max(1, latencies.length);
    const bench = process.cpuUsage(benchCpu0);
    if (profiler) {
      const { profile } = await profiler.post("Profiler.stop");
      const file = `${process.env.BENCH_SUBSCRIBER_PROFILE_DIR}/subscribers-${via}-${jobCount}.cpuprofile`;
      fs.writeFileSync(file, JSON.stringify(profile));
    }
    const benchCpu = (bench.user + bench.system) / Math.max(1, latencies.length);
    for (const s of subs) s.unsubscribe();
    await new Promise((r) => setTimeout(r, 500));
    const perSecond = Math.round((SUBSCRIBERS * 1000) / gapMs);
    return `| ${TRANSPORT_NAMES[via]}: ${SUBSCRIBERS} subscribers on ${jobCount} job${jobCount > 1 ? "s" : ""}, ${rounds} rounds ${gapMs} ms apart after ${WARMUP_ROUNDS} warm-up (${perSecond} deliveries/s) | received ${latencies.length} of ${expected} | p50 ${percentile(latencies, 50)} ms | p99 ${percentile(latencies, 99)} ms | max ${Math.max(...latencies)} ms | CPU per delivery: API ${apiCpu.toFixed(0)} µs, subscribers ${benchCpu.toFixed(0)} µs, Postgres ${pgCpuPer.toFixed(0)} µs |`;
  }
  const transports = (process.env.BENCH_TRANSPORTS ?? "trpc,trpc-sse,trpc-raw,sse,sse-raw")
    .split(",")
    .filter(Boolean) as Transport[];
  for (const via of transports) {
    if (CASES.includes("jobs")) lines.push(await fanOut(SUBSCRIBERS, ROUNDS, 500, via));
    if (CASES.includes("job")) lines.push(await fanOut(1, ROUNDS, 500, via));
    if (CASES.includes("job-fast")) lines.push(await fanOut(1, ROUNDS * 2, 100, via));
  }
  sim.stop();
} finally {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve(null);
          c.once("exit", resolve);
          setTimeout(resolve, 10_000).unref();
        }),
    ),
  );
  await queue.stop({ graceful: false });
  await db.destroy();
  await server.close();
  fs.rmSync(home, { recursive: true, force: true });
}
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model})`);
for (const line of lines) console.log(line);
process.exit(0);
