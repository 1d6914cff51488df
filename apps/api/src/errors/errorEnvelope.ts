import { randomUUID } from "node:crypto";
// Type-only imports: the worker's HTTP server loads this file by path, and must load nothing else.
import type { ErrorCode } from "@sluice/core";
import type { TRPCError } from "@trpc/server";

/** How each public error code shows over HTTP (status) and tRPC (error code). */
export const errorTransport = {
  validation_error: { status: 400, trpc: "BAD_REQUEST" },
  unauthorized: { status: 401, trpc: "UNAUTHORIZED" },
  key_expired: { status: 401, trpc: "UNAUTHORIZED" },
  key_rotated: { status: 401, trpc: "UNAUTHORIZED" },
  forbidden: { status: 403, trpc: "FORBIDDEN" },
  model_not_allowed: { status: 403, trpc: "FORBIDDEN" },
  not_found: { status: 404, trpc: "NOT_FOUND" },
  conflict: { status: 409, trpc: "CONFLICT" },
  unsafe_url: { status: 400, trpc: "BAD_REQUEST" },
  rate_limit_exceeded: { status: 429, trpc: "TOO_MANY_REQUESTS" },
  budget_exceeded: { status: 402, trpc: "PAYMENT_REQUIRED" },
  context_length_exceeded: { status: 400, trpc: "BAD_REQUEST" },
  content_filtered: { status: 422, trpc: "UNPROCESSABLE_CONTENT" },
  model_error: { status: 502, trpc: "BAD_GATEWAY" },
  timeout: { status: 504, trpc: "GATEWAY_TIMEOUT" },
  service_unavailable: { status: 503, trpc: "SERVICE_UNAVAILABLE" },
  internal_error: { status: 500, trpc: "INTERNAL_SERVER_ERROR" },
} as const satisfies Record<ErrorCode, { status: number; trpc: TRPCError["code"] }>;

/** The HTTP status of a public error code. */
export function httpStatusOf(code: ErrorCode): number {
  return errorTransport[code].status;
}

/** The tRPC error code of a public error code. */
export function trpcCodeOf(code: ErrorCode): TRPCError["code"] {
  return errorTransport[code].trpc;
}

/** An error as every client sees it, REST, tRPC or a stream. */
export interface PublicError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
}

/** A public error of a code, with the code's HTTP status unless `status` says otherwise. */
export function publicError(
  code: ErrorCode,
  message: string,
  extra: { status?: number; details?: Record<string, unknown>; retryAfterMs?: number } = {},
): PublicError {
  const { status, ...rest } = extra;
  return { status: status ?? httpStatusOf(code), code, message, ...rest };
}

/** What open streams receive last when the server shuts down. */
export const SHUTTING_DOWN: PublicError = publicError(
  "service_unavailable",
  "the server is shutting down; reconnect to continue",
);

/** The body Sluice answers errors with: `{ error: { code, message, details? }, request_id }`. */
export function errorBody(error: PublicError, requestId: string) {
  return {
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
    request_id: requestId,
  };
}

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A request's id: the caller's `X-Request-ID` when well-formed, else a new one. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
