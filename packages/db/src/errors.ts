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

/** Which integrity rule a write broke: a duplicate where one must be unique, or a missing referent. */
export type ConstraintViolationKind = "unique_violation" | "foreign_key_violation";

// SQLSTATEs of class 23 (integrity constraint violation) that callers turn into domain outcomes.
const VIOLATION_KINDS: Readonly<Record<string, ConstraintViolationKind>> = {
  "23505": "unique_violation",
  "23503": "foreign_key_violation",
};

/** A write that Postgres refused on a unique or foreign-key constraint, naming that constraint. */
export class DbConstraintError extends Error {
  readonly kind: ConstraintViolationKind;
  /** The constraint (or unique index) Postgres reported, e.g. `tenants_name_key`. */
  readonly constraint: string;
  readonly table: string | undefined;

  constructor(
    kind: ConstraintViolationKind,
    constraint: string,
    options: { table?: string | undefined; message?: string; cause?: unknown } = {},
  ) {
    super(options.message ?? `${kind} on ${constraint}`, { cause: options.cause });
    this.name = "DbConstraintError";
    this.kind = kind;
    this.constraint = constraint;
    this.table = options.table;
  }
}

/**
 * Translates a driver error into a {@link DbConstraintError} when it is a unique or foreign-key
 * violation; any other error comes back unchanged, so callers can always `throw translatePgError(e)`.
 */
export function translatePgError(error: unknown): unknown {
  if (error instanceof DbConstraintError || typeof error !== "object" || error === null) return error;
  const { code, constraint, table, message } = error as {
    code?: unknown;
    constraint?: unknown;
    table?: unknown;
    message?: unknown;
  };
  const kind = typeof code === "string" ? VIOLATION_KINDS[code] : undefined;
  if (!kind || typeof constraint !== "string") return error;
  return new DbConstraintError(kind, constraint, {
    table: typeof table === "string" ? table : undefined,
    message: typeof message === "string" ? message : `${kind} on ${constraint}`,
    cause: error,
  });
}

/** Runs a write and raises unique and foreign-key violations as {@link DbConstraintError}. */
export async function withConstraintErrors<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw translatePgError(error);
  }
}

/** True for a {@link DbConstraintError} of this kind (and constraint, when given). */
export function isConstraintError(
  error: unknown,
  kind: ConstraintViolationKind,
  constraint?: string,
): error is DbConstraintError {
  return (
    error instanceof DbConstraintError &&
    error.kind === kind &&
    (constraint === undefined || error.constraint === constraint)
  );
}
