import { CamelCasePlugin, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { parseDatabaseUrl } from "./connectionUrl.ts";
import type { Database } from "./schema.ts";

/** The typed database handle every repository function takes first. */
export type Db = Kysely<Database>;

/** Options for {@link createDb}. */
export interface CreateDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /** How long to wait for a connection before failing (default 5 s). */
  connectionTimeoutMillis?: number;
  /**
   * `false` lets commits return before the WAL reaches disk (a crash can lose the last moments of
   * writes, never corrupt them). For hot counters and telemetry, not for user data.
   */
  synchronousCommit?: boolean;
  /**
   * Postgres's JIT compilation of queries (default off). Sluice's statements are short; a plan
   * estimated above `jit_above_cost` still spends milliseconds compiling: the job-event hub's read
   * of 1,000 jobs took 7 ms of JIT on top of 9 ms of execution. On for long analytical reports only.
   */
  jit?: boolean;
  /**
   * Ends a session left idle inside a transaction this long (default: the server's). Its
   * transaction aborts instead of holding its row locks, and its outcome stays unknown, for as
   * long as it takes the server to notice a client that vanished.
   */
  idleInTransactionTimeoutMillis?: number;
  /**
   * TCP keepalive probes after a connection has been quiet this long (default off; the OS's own
   * default waits two hours), so a statement on a dead network fails instead of hanging.
   */
  keepAliveMillis?: number;
}

const INT8_OID = 20;
// Counters and micro-dollar amounts are int8; they stay far below 2^53, so read them as numbers.
pg.types.setTypeParser(INT8_OID, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds the safe integer range`);
  return n;
});

/** Opens a pooled, typed connection to Postgres; call `destroy()` to close every connection. */
export function createDb(url: string, options: CreateDbOptions = {}): Db {
  parseDatabaseUrl(url);
  const settings = [
    ...(options.jit === true ? [] : ["-c jit=off"]),
    ...(options.synchronousCommit === false ? ["-c synchronous_commit=off"] : []),
    ...(options.idleInTransactionTimeoutMillis !== undefined
      ? [`-c idle_in_transaction_session_timeout=${Math.round(options.idleInTransactionTimeoutMillis)}`]
      : []),
  ];
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "sluice",
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    ...(settings.length > 0 ? { options: settings.join(" ") } : {}),
    ...(options.keepAliveMillis !== undefined
      ? { keepAlive: true, keepAliveInitialDelayMillis: options.keepAliveMillis }
      : {}),
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on("error", () => {});
  // Nor may a client in use: the pool takes its listener off a client it hands out, and a socket
  // that dies mid-statement also emits 'error' on the client, which unheard is an uncaught
  // exception. The statement rejects with the same error, and the pool drops the broken client.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  // Column names are mapped; the contents of jsonb columns (payloads, results) keep their own keys.
  const plugins = [new CamelCasePlugin({ maintainNestedObjectKeys: true })];
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
}
