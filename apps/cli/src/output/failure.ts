import { ConfigError, isSluiceError } from "@sluice/core";
import { DatabaseError } from "@sluice/db";

/** Exit codes of every sluice command. */
export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure the CLI reports as one line and exits 1 for, without a stack trace. */
export class CliFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "CliFailure";
    this.code = code;
  }
}

/** One line describing any thrown value: `error: <code>: <message>`. */
export function describeFailure(error: unknown): string {
  if (error instanceof CliFailure || error instanceof DatabaseError)
    return `error: ${error.code}: ${error.message}`;
  if (isSluiceError(error)) return `error: ${error.code}: ${error.message}`;
  if (error instanceof ConfigError) return `error: invalid_config: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `error: internal_error: ${message.split("\n")[0]}`;
}
