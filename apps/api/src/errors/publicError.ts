import { type ErrorCode, isSluiceError, issuesOf } from "@sluice/core";
import { isDatabaseUnavailable } from "@sluice/db";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { type PublicError, publicError } from "./errorEnvelope.ts";

// The API's error mapping is this file and errorEnvelope.ts (the code tables and the body, kept
// free of runtime imports so that the worker's HTTP server can share them).
export {
  errorBody,
  errorTransport,
  httpStatusOf,
  type PublicError,
  publicError,
  SHUTTING_DOWN,
  trpcCodeOf,
} from "./errorEnvelope.ts";

const TOO_LARGE = "the request body is too large";

/** What a caller is told to wait while the database is away. */
const DATABASE_RETRY_AFTER_MS = 2_000;

/** What one of tRPC's own error codes means here. */
interface TrpcMeaning {
  code: ErrorCode;
  status?: number;
  message?: string;
}

// tRPC's own errors (raised before a procedure runs, or thrown by one); a too-large body answers 413
// with the words it gets over REST.
const FROM_TRPC: Partial<Record<TRPCError["code"], TrpcMeaning>> = {
  BAD_REQUEST: { code: "validation_error" },
  PARSE_ERROR: { code: "validation_error" },
  UNAUTHORIZED: { code: "unauthorized" },
  FORBIDDEN: { code: "forbidden" },
  NOT_FOUND: { code: "not_found" },
  METHOD_NOT_SUPPORTED: { code: "not_found" },
  CONFLICT: { code: "conflict" },
  PAYLOAD_TOO_LARGE: { code: "validation_error", status: 413, message: TOO_LARGE },
  UNSUPPORTED_MEDIA_TYPE: { code: "validation_error" },
  TOO_MANY_REQUESTS: { code: "rate_limit_exceeded" },
};

/**
 * The one place any thrown thing becomes a public error. Unknown errors are internal and say
 * nothing of their internals (the caller logs them).
 */
export function toPublicError(thrown: unknown): PublicError {
  const error = thrown instanceof TRPCError && thrown.cause ? unwrap(thrown) : thrown;
  if (isSluiceError(error)) {
    return publicError(error.code, error.message, {
      ...(error.details ? { details: error.details } : {}),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    });
  }
  if (error instanceof ZodError) {
    const issues = issuesOf(error);
    return publicError("validation_error", `invalid input: ${issues[0]?.path}: ${issues[0]?.message}`, {
      details: { issues },
    });
  }
  if (error instanceof TRPCError) {
    const known = FROM_TRPC[error.code];
    if (known) {
      const status = known.status ? { status: known.status } : {};
      return publicError(known.code, known.message ?? error.message, status);
    }
  }
  if (error instanceof SyntaxError || (error as { type?: string })?.type === "entity.parse.failed") {
    return publicError("validation_error", "the request body is not valid JSON");
  }
  if ((error as { type?: string })?.type === "entity.too.large") {
    return publicError("validation_error", TOO_LARGE, { status: 413 });
  }
  const status = clientErrorStatus(error);
  if (status !== undefined) {
    return publicError("validation_error", `the request could not be read: ${(error as Error).message}`, {
      status,
    });
  }
  if (isDatabaseUnavailable(thrown)) {
    return publicError("service_unavailable", "the database is unavailable; try again shortly", {
      retryAfterMs: DATABASE_RETRY_AFTER_MS,
    });
  }
  return publicError("internal_error", "internal error");
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
