import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startNodeProcess } from "@sluice/db/testing";

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
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const worker = await startNodeProcess({
    name: "worker",
    entry,
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      SLUICE_WORKER_POLL_MS: "200",
      SLUICE_WORKER_SUPERVISE_SECONDS: "1",
      ...env,
    },
    ready: (out) => (out.includes("sluice worker started") ? true : undefined),
  });
  const { child, exited } = worker;
  return {
    child,
    output: worker.output,
    exited,
    kill9: () => child.kill("SIGKILL"),
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
