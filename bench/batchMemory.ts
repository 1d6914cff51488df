// Memory of provider batches in one `sluice worker` process: batches of 1,000, 10,000 and 50,000
// requests, each submitted (requests streamed from Postgres to the provider's Files API) and its
// results streamed back into Postgres, on a fresh worker; its peak RSS against its RSS at start.
// Run: pnpm bench:batches   (uses DATABASE_URL, or an embedded Postgres)
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { WORKER_NODE_FLAGS } from "../apps/worker/src/nodeFlags.ts";
import {
  createBatchService,
  createJobCatalog,
  createJobService,
  createLlmRuntime,
  parseConfig,
} from "../packages/core/src/index.ts";
import {
  createDb,
  insertTenant,
  installQueueSchema,
  isFinalBatchStatus,
  migrateToLatest,
  startJobQueue,
} from "../packages/db/src/index.ts";
import { rssMb } from "./benchStats.ts";
import { benchServer } from "./jobsDatabase.ts";
import { spawnSimulator } from "./spawnSimulator.ts";

const SIZES = (process.env.BENCH_BATCH_SIZES ?? "1000,10000,50000").split(",").map(Number);
const root = fileURLToPath(new URL("..", import.meta.url));

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  // As `sluice worker` and `sluice up` start it; BENCH_WORKER_NODE_ARGS adds flags (e.g. a heap cap).
  const extra = (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, ...extra, "apps/worker/src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes("sluice worker started")) resolve(child);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`worker exited (${code}): ${out}`)));
  });
}

/** JSONL of `n` requests, generated as it is read. */
function jsonl(n: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < n; i++) {
        yield `${JSON.stringify({
          custom_id: `r${i}`,
          body: {
            messages: [
              { role: "system", content: "Answer in one short sentence." },
              {
                role: "user",
                content: `Summarise support ticket ${i}: the invoice total does not match the order.`,
              },
            ],
            max_tokens: 40,
          },
        })}\n`;
      }
    })(),
  );
}

const server = await benchServer();
const url = await server.database("batches");
const db = createDb(url);
await migrateToLatest(db);
await installQueueSchema(db);
const catalog = createJobCatalog();
const queue = await startJobQueue({ connectionString: url });
await queue.ensureQueues(catalog.queues());
const jobs = createJobService({ db, queue, catalog });
const sim = await spawnSimulator({ batchMs: 1000 });
const runtime = createLlmRuntime(
  parseConfig({ SLUICE_SIMULATOR_URL: sim.url, SLUICE_HOME: "/nonexistent" }),
  db,
);
const batches = createBatchService({ db, jobs, runtime });
const tenant = await insertTenant(db, { name: "bench-batches" });
const scope = { tenantId: tenant.id };
const home = fs.mkdtempSync(`${os.tmpdir()}/sluice-bench-batches-`);
const rows: string[] = [];

try {
  for (const size of SIZES) {
    const worker = await startWorker({
      DATABASE_URL: url,
      SLUICE_SIMULATOR_URL: sim.url,
      SLUICE_HOME: home,
      LOG_LEVEL: "warn",
      SLUICE_BATCH_POLL_MS: "200",
    });
    const atStart = rssMb(worker.pid!, "VmRSS");
    const draft = await batches.create(scope, { name: `bench ${size}`, model: "sim-small" });
    const addStarted = performance.now();
    await batches.addRequests(scope, draft.id, jsonl(size));
    const addMs = performance.now() - addStarted;
    const started = performance.now();
    await batches.submit(scope, draft.id);
    let batch = await batches.get(scope, draft.id);
    const trace: string[] = [];
    while (!isFinalBatchStatus(batch.status)) {
      await new Promise((r) => setTimeout(r, 100));
      batch = await batches.get(scope, draft.id);
      if (process.env.BENCH_TRACE) trace.push(`${batch.status}:${rssMb(worker.pid!, "VmRSS").toFixed(0)}`);
    }
    if (process.env.BENCH_TRACE) console.log(trace.join(" "));
    const ms = performance.now() - started;
    const peak = rssMb(worker.pid!, "VmHWM");
    worker.kill("SIGTERM");
    await new Promise((r) => worker.once("exit", r));
    rows.push(
      `| ${size.toLocaleString("en-US")} | ${batch.status}, ${batch.counts.succeeded.toLocaleString("en-US")} answered | ${(addMs / 1000).toFixed(2)} s | ${(ms / 1000).toFixed(2)} s | ${atStart.toFixed(0)} MB | **${peak.toFixed(0)} MB** | +${(peak - atStart).toFixed(0)} MB |`,
    );
  }
} finally {
  sim.stop();
  await runtime.close();
  await queue.stop({ graceful: false });
  await db.destroy();
  await server.close();
  fs.rmSync(home, { recursive: true, force: true });
}

console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model})`);
console.log(
  "| requests | outcome | add (API side) | submit → completed | worker RSS at start | worker peak RSS | growth |\n|---|---|---|---|---|---|---|",
);
for (const row of rows) console.log(row);
process.exit(0);
