import { DatabaseError } from "./errors.ts";

/** Parses a Postgres connection URL, rejecting anything that is not `postgres://` or `postgresql://`. */
export function parseDatabaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseError(
      "invalid_database_url",
      "DATABASE_URL is not a valid URL: expected postgres://user[:password]@host[:port]/database",
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new DatabaseError(
      "invalid_database_url",
      `DATABASE_URL must start with postgres:// or postgresql:// (got ${parsed.protocol}//)`,
    );
  }
  if (!parsed.hostname && !parsed.searchParams.get("host")) {
    throw new DatabaseError("invalid_database_url", "DATABASE_URL has no host");
  }
  return parsed;
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = parseDatabaseUrl(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL with its password replaced, safe to print. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

/** `host:port` of a connection URL, for messages. */
export function describeServer(url: string): string {
  const parsed = parseDatabaseUrl(url);
  return `${parsed.hostname || parsed.searchParams.get("host")}:${parsed.port || "5432"}`;
}
