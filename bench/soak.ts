// Soak: `sluice up` (API, one worker, the simulator) under a steady mixed load for SOAK_MINUTES
// (default 30): synchronous chat completions (some repeated at temperature 0, so cached), streamed
// ones, and background jobs with a webhook, followed over SSE until they end. Per minute: requests,
// errors, p50/p99 of the synchronous calls, the RSS of the API and worker processes, and the row
// count of every table. Memory should stay flat, p99 stable, no error appear, and, with the short
// retentions set below (SOAK_RETENTION=off keeps the defaults), every table's size level off.
// (Provider fault storms are the chaos suite's: `pnpm test:chaos`.)
// Run: pnpm bench:soak   (with DATABASE_URL, in a fresh database on that server, dropped at the end
// unless SOAK_KEEP_DATABASE=1; without, in the embedded Postgres `sluice up` starts, and no row counts)
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { percentile, rssMb } from "./benchStats.ts";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SOAK_RATE ?? 20); // request groups per second
const root = fileURLToPath(new URL("..", import.meta.url));
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-soak-"));
// Short retentions, so that a 30-minute run shows where each table levels off: about 3 minutes of
// rows (0.002 days), a maintenance pass every 30 s, cache entries living 2 minutes.
const SHORT_RETENTIONS: Record<string, string> =
  process.env.SOAK_RETENTION === "off"
    ? {}
    : {
        SLUICE_LLM_CALLS_RETENTION_DAYS: "0.002",
        SLUICE_JOBS_RETENTION_DAYS: "0.002",
        SLUICE_JOB_EVENTS_RETENTION_DAYS: "0.002",
        SLUICE_WEBHOOK_DELIVERIES_RETENTION_DAYS: "0.002",
        SLUICE_QUEUE_RETENTION_DAYS: "0.002",
        SLUICE_MAINTENANCE_INTERVAL_SECONDS: "30",
        SLUICE_CACHE_TTL_SECONDS: "120",
      };

/** A fresh database on DATABASE_URL's server for this run (undefined without DATABASE_URL). */
async function soakDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  const name = `sluice_soak_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      if (process.env.SOAK_KEEP_DATABASE === "1") return void console.log(`kept database ${name}`);
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Receives the jobs' webhooks (answers 204). */
function startWebhookReceiver(): Promise<{ url: string; received: () => number; close(): void }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/hook`,
        received: () => received,
        close: () => server.close(),
      });
    }),
  );
}

function start(databaseUrl: string | undefined): Promise<{ child: ChildProcess; url: string; key: string }> {
  const child = spawn(process.execPath, ["apps/cli/src/main.ts", "up", "--port", "0"], {
    cwd: root,
    env: {
      ...process.env,
      ...SHORT_RETENTIONS,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      // The webhook receiver below listens on loopback.
      SLUICE_ALLOW_PRIVATE_WEBHOOKS: "true",
      SLUICE_HOME: home,
      OPENAI_API_KEY: "",
      ANTHROPIC_API_KEY: "",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const url = /Sluice is up: API on (\S+),/.exec(out)?.[1];
      const key = /demo tenant key\s+(\S+)/.exec(out)?.[1];
      if (url && key && out.includes("Ctrl-C stops everything"))
        resolve({ child, url: url.replace(/,$/, ""), key });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`sluice up exited (${code}): ${out}`)));
  });
}

/** The `sluice up` children by name, read from their command lines. */
function processes(upPid: number): { api?: number; worker?: number } {
  const found: { api?: number; worker?: number } = {};
  for (const entry of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.indexOf(")") + 2).split(" ")[1]);
      if (ppid !== upPid) continue;
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmd.includes("api")) found.api = Number(entry);
      if (cmd.includes("worker")) found.worker = Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const processRss = (pid: number | undefined) => (pid ? rssMb(pid) : 0);

interface Minute {
  requests: number;
  errors: number;
  sync: number[];
  jobs: number;
}

/** Exact row counts of every table of Sluice and of pg-boss's job table. */
async function rowCounts(client: pg.Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ name: string }>(
    `select relname as name from pg_stat_user_tables where schemaname = 'public'
       and relname not like 'sluice_migrations%' order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of rows) {
    counts[name] = Number((await client.query(`select count(*) as n from "${name}"`)).rows[0].n);
  }
  counts["pgboss.job"] = Number((await client.query("select count(*) as n from pgboss.job")).rows[0].n);
  return counts;
}

const database = await soakDatabase();
const hooks = await startWebhookReceiver();
const up = await start(database?.url);
const counter = database ? new pg.Client({ connectionString: database.url }) : undefined;
await counter?.connect();
const tableSizes: Record<string, number>[] = [];
const auth = { authorization: `Bearer ${up.key}`, "content-type": "application/json" };
const minutes: Minute[] = [];
const rss: { api: number; worker: number }[] = [];
let current: Minute = { requests: 0, errors: 0, sync: [], jobs: 0 };
const errorSamples: string[] = [];
const pids = processes(up.child.pid!);
const startRss = { api: processRss(pids.api), worker: processRss(pids.worker) };
let n = 0;

function fail(what: string, detail: string) {
  current.errors++;
  if (errorSamples.length < 20) errorSamples.push(`${what}: ${detail}`);
}

// Every other synchronous call repeats one of 50 prompts at temperature 0: cache hits and entries.
async function syncCall() {
  const started = performance.now();
  const cached = n % 2 === 0;
  const res = await fetch(`${up.url}/v1/chat/completions`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      model: "sim-small",
      messages: [{ role: "user", content: cached ? `soak cached ${n++ % 50}` : `soak ${n++}` }],
      max_tokens: 16,
      ...(cached ? { temperature: 0 } : {}),
    }),
  });
  await res.arrayBuffer();
  current.requests++;
  if (res.status !== 200) fail("sync", String(res.status));
  else current.sync.push(performance.now() - started);
}

async function streamCall() {
  const res = await fetch(`${up.url}/v1/chat/completions`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      model: "sim-medium",
      stream: true,
      messages: [{ role: "user", content: `soak stream ${n++}` }],
      max_tokens: 24,
    }),
  });
  const text = await res.text();
  current.requests++;
  if (res.status !== 200 || !text.includes("[DONE]") || text.includes('"error"'))
    fail("stream", `${res.status} ${text.slice(-200)}`);
}

async function jobFollowed() {
  const res = await fetch(`${up.url}/v1/jobs`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      kind: "chat.complete",
      webhook_url: hooks.url,
      payload: {
        request: {
          model: "sim-small",
          messages: [{ role: "user", content: `soak job ${n++}` }],
          max_tokens: 8,
        },
      },
    }),
  });
  current.requests++;
  if (res.status !== 202) return fail("enqueue", String(res.status));
  const job = (await res.json()) as { id: string };
  // Follow it over SSE until it ends.
  const events = await fetch(`${up.url}/v1/jobs/${job.id}/events`, {
    headers: auth,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await events.text().catch((e: Error) => `timeout ${e.message}`);
  if (!text.includes("event: completed")) return fail("job", text.slice(-200));
  current.jobs++;
}

const deadline = Date.now() + MINUTES * 60_000;
const inFlight = new Set<Promise<void>>();
let nextMinute = Date.now() + 60_000;
while (Date.now() < deadline) {
  for (const call of [syncCall, syncCall, streamCall, jobFollowed]) {
    const p = call()
      .catch((e: Error) => fail(call.name, e.message))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await new Promise((r) => setTimeout(r, 1000 / RATE));
  if (Date.now() >= nextMinute) {
    minutes.push(current);
    rss.push({ api: processRss(pids.api), worker: processRss(pids.worker) });
    process.stderr.write(
      `minute ${minutes.length}: ${current.requests} requests, ${current.errors} errors, p99 ${percentile(current.sync, 99).toFixed(1)} ms, RSS api ${rss.at(-1)!.api.toFixed(0)} / worker ${rss.at(-1)!.worker.toFixed(0)} MB\n`,
    );
    if (counter) {
      tableSizes.push(await rowCounts(counter).catch(() => ({})));
      const sizes = tableSizes.at(-1)!;
      process.stderr.write(
        `  rows: ${Object.entries(sizes)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}\n`,
      );
    }
    current = { requests: 0, errors: 0, sync: [], jobs: 0 };
    nextMinute += 60_000;
  }
}
await Promise.allSettled([...inFlight]);
await counter?.end();
process.kill(-up.child.pid!, "SIGINT");
await new Promise((r) => up.child.once("exit", r));
hooks.close();
await database?.drop();
fs.rmSync(home, { recursive: true, force: true });

const total = (f: (m: Minute) => number) => minutes.reduce((a, m) => a + f(m), 0);
console.log(
  `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}), ${MINUTES} min at ${RATE} groups/s`,
);
console.log("| minute | requests | jobs followed | errors | sync p50 | sync p99 | RSS API | RSS worker |");
console.log("|---|---|---|---|---|---|---|---|");
console.log(`| start | | | | | | ${startRss.api.toFixed(0)} MB | ${startRss.worker.toFixed(0)} MB |`);
minutes.forEach((m, i) => {
  if (i === 0 || i === minutes.length - 1 || (i + 1) % 5 === 0)
    console.log(
      `| ${i + 1} | ${m.requests} | ${m.jobs} | ${m.errors} | ${percentile(m.sync, 50).toFixed(1)} ms | ${percentile(m.sync, 99).toFixed(1)} ms | ${rss[i]!.api.toFixed(0)} MB | ${rss[i]!.worker.toFixed(0)} MB |`,
    );
});
console.log(
  `total: ${total((m) => m.requests)} requests, ${total((m) => m.jobs)} jobs followed to completion, ${total((m) => m.errors)} errors`,
);
console.log(`webhooks received: ${hooks.received()}`);
if (tableSizes.length > 0) {
  const at = [1, 5, 10, 15, 20, 25, 30, tableSizes.length].filter(
    (m, i, all) => m <= tableSizes.length && all.indexOf(m) === i,
  );
  const tables = Object.keys(tableSizes.at(-1)!).filter((t) => tableSizes.some((s) => (s[t] ?? 0) > 0));
  console.log(`| table | ${at.map((m) => `${m} min`).join(" | ")} |`);
  console.log(`|---|${at.map(() => "---|").join("")}`);
  for (const t of tables) {
    console.log(
      `| ${t} | ${at.map((m) => (tableSizes[m - 1]?.[t] ?? 0).toLocaleString("en-US")).join(" | ")} |`,
    );
  }
  if (process.env.SOAK_REPORT)
    fs.writeFileSync(process.env.SOAK_REPORT, JSON.stringify({ minutes, tableSizes }, null, 1));
}
for (const sample of errorSamples) console.log(`error: ${sample}`);
process.exit(0);
