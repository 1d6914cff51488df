import { type ErrorCode, errorCodes, isSluiceError, issuesOf } from "@sluice/core";
import { isDatabaseUnavailable } from "@sluice/db";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/** An error as every client sees it, REST or tRPC. */
export interface PublicError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
}

/** What open streams receive last when the server shuts down. */
export const SHUTTING_DOWN: PublicError = {
  status: 503,
  code: "service_unavailable",
  message: "the server is shutting down; reconnect to continue",
};

/** The body Sluice answers errors with: `{ error: { code, message, details? }, request_id }`. */
export function errorBody(error: PublicError, requestId: string) {
  return {
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
    request_id: requestId,
  };
}

/** What a caller is told to wait while the database is away. */
const DATABASE_RETRY_AFTER_MS = 2_000;

const TRPC_TO_CODE: Partial<Record<TRPCError["code"], ErrorCode>> = {
  BAD_REQUEST: "validation_error",
  PARSE_ERROR: "validation_error",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  METHOD_NOT_SUPPORTED: "not_found",
  CONFLICT: "conflict",
  PAYLOAD_TOO_LARGE: "validation_error",
  UNSUPPORTED_MEDIA_TYPE: "validation_error",
  TOO_MANY_REQUESTS: "rate_limit_exceeded",
};

/**
 * The one place any thrown thing becomes a public error. Unknown errors are internal and say
 * nothing of their internals (the caller logs them).
 */
export function toPublicError(thrown: unknown): PublicError {
  const error = thrown instanceof TRPCError && thrown.cause ? unwrap(thrown) : thrown;
  if (isSluiceError(error)) {
    return {
      status: error.httpStatus,
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
  if (error instanceof ZodError) {
    const issues = issuesOf(error);
    return {
      status: 400,
      code: "validation_error",
      message: `invalid input: ${issues[0]?.path}: ${issues[0]?.message}`,
      details: { issues },
    };
  }
  if (error instanceof TRPCError) {
    const code = TRPC_TO_CODE[error.code];
    if (code) return { status: errorCodes[code].status, code, message: error.message };
  }
  if (error instanceof SyntaxError || (error as { type?: string })?.type === "entity.parse.failed") {
    return { status: 400, code: "validation_error", message: "the request body is not valid JSON" };
  }
  if ((error as { type?: string })?.type === "entity.too.large") {
    return { status: 413, code: "validation_error", message: "the request body is too large" };
  }
  const status = clientErrorStatus(error);
  if (status !== undefined) {
    return {
      status,
      code: "validation_error",
      message: `the request could not be read: ${(error as Error).message}`,
    };
  }
  if (isDatabaseUnavailable(thrown)) {
    return {
      status: 503,
      code: "service_unavailable",
      message: "the database is unavailable; try again shortly",
      retryAfterMs: DATABASE_RETRY_AFTER_MS,
    };
  }
  return { status: 500, code: "internal_error", message: "internal error" };
}

/**
 * The status of an error Express raises about the request itself: its body parsers' (unsupported
 * charset or encoding, aborted upload; marked safe to expose) and its router's (a path parameter
 * that is not valid percent-encoding).
 */
function clientErrorStatus(error: unknown): number | undefined {
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
  if (expose !== true && !(error instanceof URIError)) return undefined;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

function unwrap(error: TRPCError): unknown {
  const cause = error.cause;
  // tRPC wraps non-Error throws; input validation failures carry the ZodError as cause.
  if (isSluiceError(cause) || cause instanceof ZodError) return cause;
  return error;
}
