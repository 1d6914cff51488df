// Provider-layer overhead: a Sluice model-client call versus the same call through the raw SDK,
// interleaved in one run against a zero-latency simulator in another process; plus cache-hit latency.
// Run: pnpm bench:provider   (uses DATABASE_URL, or an embedded Postgres in a temp dir)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "../packages/core/node_modules/openai/index.mjs";
import { createLlmRuntime, parseConfig } from "../packages/core/src/index.ts";
import { createDb, migrateToLatest, resolveDatabase, withDatabase } from "../packages/db/src/index.ts";
import { dropDatabase, withAdminClient } from "../packages/db/src/testing/templateDatabase.ts";
import { ms, percentile } from "./benchStats.ts";
import { spawnSimulator } from "./spawnSimulator.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000);
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-bench-"));
fs.chmodSync(home, 0o755);
const server = await resolveDatabase({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: path.join(home, "pg"),
});
// A database of the benchmark's own, dropped at the end, so nothing else on the server is touched.
const benchDb = `sluice_bench_${Date.now().toString(36)}`;
await withAdminClient(withDatabase(server.url, "postgres"), (c) => c.query(`create database ${benchDb}`));
const db = createDb(withDatabase(server.url, benchDb));
await migrateToLatest(db);
const sim = await spawnSimulator();
const config = parseConfig({ SLUICE_SIMULATOR_URL: sim.url });
const runtime = createLlmRuntime(config, db);
const raw = new OpenAI({ apiKey: "k", baseURL: `${sim.url}/v1`, maxRetries: 0 });

const messages = [{ role: "user" as const, content: "Summarise the benefits of connection pooling." }];
const rawTimes: number[] = [];
const sluiceTimes: number[] = [];
const hitTimes: number[] = [];

for (let i = 0; i < 200; i++) {
  await raw.chat.completions.create({ model: "gpt-4o-mini", messages, temperature: 0.7 });
  await runtime.models.chat({ model: "gpt-4o-mini", messages, temperature: 0.7 });
}
for (let i = 0; i < ROUNDS; i++) {
  let t = performance.now();
  await raw.chat.completions.create({ model: "gpt-4o-mini", messages, temperature: 0.7 });
  rawTimes.push(performance.now() - t);
  t = performance.now();
  await runtime.models.chat(
    { model: "gpt-4o-mini", messages, temperature: 0.7 },
    { requestId: `bench-${i}` },
  );
  sluiceTimes.push(performance.now() - t);
}
const cached = { model: "gpt-4o-mini", messages, temperature: 0 };
await runtime.models.chat(cached);
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  await runtime.models.chat(cached);
  hitTimes.push(performance.now() - t);
}

const row = (name: string, xs: number[]) =>
  `| ${name} | ${ms(percentile(xs, 50))} | ${ms(percentile(xs, 99))} |`;
console.log(`rounds: ${ROUNDS}, node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model})`);
console.log("| call | p50 | p99 |\n|---|---|---|");
console.log(row("raw openai SDK", rawTimes));
console.log(row("Sluice model client (no cache)", sluiceTimes));
console.log(row("Sluice cache hit (Postgres)", hitTimes));
console.log(`added p50: ${ms(percentile(sluiceTimes, 50) - percentile(rawTimes, 50))}`);

await runtime.close();
await db.destroy();
await dropDatabase(withDatabase(server.url, "postgres"), benchDb);
await server.stop();
sim.stop();
fs.rmSync(home, { recursive: true, force: true });
