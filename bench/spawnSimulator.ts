import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Starts the simulator in a child process; resolves with its URL and a stop function. */
export function spawnSimulator(
  options: { fixedLatencyMs?: number; batchMs?: number } = {},
): Promise<{ url: string; stop(): void }> {
  const entry = fileURLToPath(new URL("./simulatorChild.ts", import.meta.url));
  const child = spawn(process.execPath, [entry], {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      BENCH_SIM_FIXED_MS: String(options.fixedLatencyMs ?? 0),
      BENCH_SIM_BATCH_MS: String(options.batchMs ?? 0),
    },
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", (data: Buffer) =>
      resolve({ url: data.toString().trim(), stop: () => child.kill("SIGTERM") }),
    );
  });
}
