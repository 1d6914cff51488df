import { type ChildProcess, spawn } from "node:child_process";
import { inheritedEnv } from "../env.ts";
import { paint } from "../output/terminal.ts";

/** A process `sluice up` runs and keeps running. */
export interface ChildSpec {
  name: string;
  /** Arguments to the `sluice` entry point, e.g. `["worker"]`. */
  args: string[];
  /** Flags for Node itself, before the entry point (e.g. heap settings). */
  nodeArgs?: readonly string[];
  env: Record<string, string>;
  /** A line that says it is ready; its first capture group, if any, is kept (a URL). */
  ready: RegExp;
}

/** A supervised child. */
export interface Supervised {
  readonly name: string;
  /** Resolves with the ready line's capture once the first start is ready. */
  readonly ready: Promise<string>;
  /** Stops it for good: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Where supervised children's lines go. */
export type LineSink = (name: string, stream: "stdout" | "stderr", line: string) => void;

const colours = ["cyan", "magenta", "green", "yellow", "blue"] as const;

/** Prints child lines prefixed by their process, or as JSON objects with a `process` field. */
export function lineSink(json: boolean): LineSink {
  const colourOf = new Map<string, (typeof colours)[number]>();
  return (name, stream, line) => {
    if (json) {
      let record: Record<string, unknown>;
      try {
        const parsed = JSON.parse(line) as unknown;
        record =
          typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : { msg: line };
      } catch {
        record = { msg: line };
      }
      process.stdout.write(`${JSON.stringify({ process: name, stream, ...record })}\n`);
      return;
    }
    if (!colourOf.has(name)) colourOf.set(name, colours[colourOf.size % colours.length]!);
    const target = stream === "stderr" ? process.stderr : process.stdout;
    target.write(`${paint(colourOf.get(name)!, `[${name}]`)} ${line}\n`);
  };
}

/**
 * Starts a child and restarts it with backoff (1 s doubling to 30 s, reset after a minute up) when
 * it exits on its own. Children run in their own process group: Ctrl-C reaches `sluice up` only,
 * which stops them in order.
 */
export function supervise(entry: string, spec: ChildSpec, sink: LineSink): Supervised {
  let child: ChildProcess | undefined;
  let stopping = false;
  let delay = 1_000;
  let resolveReady!: (capture: string) => void;
  let rejectReady!: (error: Error) => void;
  let readyDone = false;
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let exited: Promise<void> = Promise.resolve();

  function start(): void {
    const startedAt = Date.now();
    const current = spawn(process.execPath, [...(spec.nodeArgs ?? []), entry, ...spec.args], {
      env: { ...inheritedEnv(), ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child = current;
    let output = "";
    const onLines = (stream: "stdout" | "stderr") => {
      let partial = "";
      return (data: Buffer) => {
        const text = partial + data.toString();
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          if (!readyDone) {
            output += `${line}\n`;
            const match = spec.ready.exec(line);
            if (match) {
              readyDone = true;
              resolveReady(match[1] ?? line);
            }
          }
          if (line.trim() !== "") sink(spec.name, stream, line);
        }
      };
    };
    current.stdout?.on("data", onLines("stdout"));
    current.stderr?.on("data", onLines("stderr"));
    exited = new Promise((resolve) => {
      current.once("exit", (code, signal) => {
        resolve();
        if (stopping) return;
        if (!readyDone) {
          rejectReady(
            new Error(`${spec.name} exited (${code ?? signal}) before it was ready:\n${output.trim()}`),
          );
          return;
        }
        if (Date.now() - startedAt > 60_000) delay = 1_000;
        sink(spec.name, "stderr", `exited (${code ?? signal}); restarting in ${delay / 1000} s`);
        setTimeout(() => {
          if (!stopping) start();
        }, delay).unref();
        delay = Math.min(delay * 2, 30_000);
      });
    });
  }

  start();
  return {
    name: spec.name,
    ready,
    async stop(graceMs = 30_000) {
      stopping = true;
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      current.kill("SIGTERM");
      const timer = setTimeout(() => current.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
