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
