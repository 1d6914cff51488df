import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** A `sluice worker` process started by a test. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (or signal) when it ends. */
  exited: Promise<number | string | null>;
  /** SIGKILL: no shutdown at all. */
  kill9(): void;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | string | null>;
}

/** Starts a worker process on a test database; resolves once it says it started. */
export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      SLUICE_WORKER_POLL_MS: "200",
      SLUICE_WORKER_SUPERVISE_SECONDS: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal)),
  );
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes("sluice worker started")) {
        resolve({
          child,
          output: () => out,
          exited,
          kill9: () => child.kill("SIGKILL"),
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before starting: ${out}`)));
  });
}
