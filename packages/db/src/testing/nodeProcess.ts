import { type ChildProcess, spawn } from "node:child_process";

/** What a finished process printed and returned. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a `.ts` entry point with this Node (24, type stripping) to its end and collects its output. */
export function runNodeScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running process a test started, once it said it is ready. */
export interface NodeProcess<TReady> {
  child: ChildProcess;
  /** What its output said when it became ready (e.g. the URL it listens on). */
  ready: TReady;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | string | null>;
  /** Resolves with the exit code (null when a signal ended it). */
  exitCode: Promise<number | null>;
}

/**
 * Starts `node <entry> ...args` and resolves once `ready` finds what it waits for in the output
 * printed so far; rejects if the process exits first, or after `timeoutMs` when given. `name` says
 * which process failed in those errors. `detached` puts it in a process group of its own, as a
 * terminal runs a command (signal the group with `process.kill(-pid)`).
 */
export function startNodeProcess<TReady>(options: {
  name: string;
  entry: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  ready: (output: string) => TReady | undefined;
  timeoutMs?: number;
  detached?: boolean;
}): Promise<NodeProcess<TReady>> {
  const child = spawn(process.execPath, [options.entry, ...(options.args ?? [])], {
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.detached ? { detached: true } : {}),
  });
  let out = "";
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const exited = ended.then(({ code, signal }) => code ?? signal);
  const exitCode = ended.then(({ code }) => code);
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => reject(new Error(`${options.name} did not come up:\n${out}`)), options.timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      if (settled) return;
      const ready = options.ready(out);
      if (ready === undefined) return;
      settled = true;
      clearTimeout(timer);
      resolve({ child, ready, output: () => out, exited, exitCode });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${code}) before it was ready:\n${out}`));
    });
  });
}
