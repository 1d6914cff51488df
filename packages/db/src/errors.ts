/** Codes for failures of the database layer that callers turn into user-facing messages. */
export type DatabaseErrorCode =
  | "invalid_database_url"
  | "database_unreachable"
  | "data_dir_locked"
  | "data_dir_corrupt"
  | "embedded_start_failed"
  | "migration_failed";

/** A database-layer failure with a stable code and a message that says what to do. */
export class DatabaseError extends Error {
  readonly code: DatabaseErrorCode;

  constructor(code: DatabaseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseError";
    this.code = code;
  }
}

// Node socket errors and Postgres SQLSTATEs that mean "the database is not there right now":
// connection exceptions (class 08), shutdowns and restarts (57P01–57P03), too many connections.
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)/i;

/**
 * True when an error (or anything in its cause chain) says the database could not be reached or
 * went away mid-query: a moment's outage, not a bug. Callers answer 503 and retry later.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  if (error instanceof DatabaseError) return error.code === "database_unreachable";
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
  if (typeof message === "string" && CONNECTION_MESSAGES.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
