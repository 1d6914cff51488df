import pg from "pg";
import { describeServer, parseDatabaseUrl } from "../connectionUrl.ts";
import { DatabaseError } from "../errors.ts";
import { startEmbeddedPostgres } from "./embeddedPostgres.ts";

/** Where Sluice's database is and how to let go of it. */
export interface ResolvedDatabase {
  url: string;
  /** True when Sluice started the server itself. */
  embedded: boolean;
  /** Stops the embedded server (no-op for an external one). */
  stop(): Promise<void>;
}

/** Options for {@link resolveDatabase}. */
export interface ResolveDatabaseOptions {
  /** Use this server when set (DATABASE_URL). */
  databaseUrl?: string | undefined;
  /** Embedded data directory when no URL is set (e.g. `.sluice/postgres`). */
  dataDir: string;
  /** Stop the embedded server on SIGINT/SIGTERM and then exit (default true). */
  handleSignals?: boolean;
}

/** Connects once to prove the server answers, turning driver errors into one clear message. */
export async function checkReachable(url: string): Promise<void> {
  parseDatabaseUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseError(
      "database_unreachable",
      `cannot reach Postgres at ${describeServer(url)} (${reason}); check that it is running and DATABASE_URL is right, or unset DATABASE_URL to use the embedded server`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** `DATABASE_URL` when set; otherwise an embedded server whose data persists in `dataDir`. */
export async function resolveDatabase(options: ResolveDatabaseOptions): Promise<ResolvedDatabase> {
  if (options.databaseUrl) {
    await checkReachable(options.databaseUrl);
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ dataDir: options.dataDir, databases: ["sluice"] });
  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      void server.stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  return { url: server.urlFor("sluice"), embedded: true, stop: server.stop };
}
