import { type ChildProcess, spawn } from "node:child_process";
import { DatabaseError } from "../errors.ts";
import type { EmbeddedChildMessage } from "./embeddedProtocol.ts";

const STOP_TIMEOUT_MS = 20_000;
/** How many of the launcher's last stderr lines a start failure carries. */
export const STDERR_TAIL_LINES = 20;

/** The launcher child and the last lines it wrote to stderr. */
export interface Launcher {
  child: ChildProcess;
  /** Its last {@link STDERR_TAIL_LINES} non-empty stderr lines, oldest first. */
  stderrTail(): string[];
}

/**
 * Spawns `node <args>` with an IPC channel, in its own process group (a terminal's Ctrl-C reaches
 * us, and we stop the database last), keeping the tail of its stderr for error messages.
 */
export function spawnLauncher(args: string[]): Launcher {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    detached: true,
  });
  const lines: string[] = [];
  let partial = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) lines.push(line.trimEnd());
    if (lines.length > STDERR_TAIL_LINES) lines.splice(0, lines.length - STDERR_TAIL_LINES);
  });
  return {
    child,
    stderrTail: () => (partial.trim() ? [...lines, partial.trimEnd()] : lines).slice(-STDERR_TAIL_LINES),
  };
}

function withStderr(message: string, tail: string[]): string {
  if (tail.length === 0) return `${message} (it wrote nothing to stderr)`;
  return `${message}; its last lines on stderr:\n${tail.map((line) => `  ${line}`).join("\n")}`;
}

/** Resolves when the launcher reports ready; rejects with its error, or its stderr when it dies. */
export function waitForStart(launcher: Launcher, timeoutMs: number): Promise<{ initialised: boolean }> {
  const { child } = launcher;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      const message = `embedded Postgres did not become ready in ${timeoutMs} ms`;
      reject(new DatabaseError("embedded_start_failed", withStderr(message, launcher.stderrTail())));
    }, timeoutMs);
    const onMessage = (message: EmbeddedChildMessage) => {
      if (message.type === "ready") {
        cleanup();
        resolve({ initialised: message.initialised });
      } else if (message.type === "error") {
        cleanup();
        reject(new DatabaseError(message.code, message.message));
      }
    };
    // "close", not "exit": it comes after stderr has been read to the end.
    const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      const how = code === null ? `signal ${signal}` : `code ${code}`;
      const message = `embedded Postgres launcher exited (${how}) before it was ready`;
      reject(new DatabaseError("embedded_start_failed", withStderr(message, launcher.stderrTail())));
    };
    function cleanup() {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("close", onClose);
    }
    child.on("message", onMessage);
    child.on("close", onClose);
  });
}

/** Asks the launcher to stop Postgres and exit; kills it when it takes too long. */
export function stopLauncher(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send("stop");
    else child.kill("SIGTERM");
  });
}
