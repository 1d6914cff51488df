// Simulator throughput: non-streaming and streaming completions per second from a separate
// load process with keep-alive connections. Run: pnpm bench:simulator
import http from "node:http";
import os from "node:os";
import { ms, percentile } from "./benchStats.ts";
import { spawnSimulator } from "./spawnSimulator.ts";

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const sim = await spawnSimulator();
const target = new URL(sim.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(stream: boolean): Promise<number> {
  const body = JSON.stringify({
    model: "sim-small",
    messages: [{ role: "user", content: "Hello there, how are you today?" }],
    stream,
  });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: "/v1/chat/completions",
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          authorization: "Bearer k",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(performance.now() - started)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function run(stream: boolean) {
  const latencies: number[] = [];
  const deadline = performance.now() + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) latencies.push(await call(stream));
    }),
  );
  return {
    perSecond: latencies.length / (DURATION_MS / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

await run(false);
const plain = await run(false);
const streamed = await run(true);
console.log(
  `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}), ${CONCURRENCY} connections, ${DURATION_MS / 1000}s each`,
);
console.log("| mode | completions/s | p50 | p99 |\n|---|---|---|---|");
console.log(`| non-streaming | ${plain.perSecond.toFixed(0)} | ${ms(plain.p50)} | ${ms(plain.p99)} |`);
console.log(`| streaming | ${streamed.perSecond.toFixed(0)} | ${ms(streamed.p50)} | ${ms(streamed.p99)} |`);
agent.destroy();
sim.stop();
