import type { ErrorCode } from "@sluice/core";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { requestIdOf } from "../http/requestId.ts";
import { type PublicError, publicError, toPublicError } from "./publicError.ts";

/** Anthropic's error types, as its SDKs and clients read them. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

// Sluice's codes in Anthropic's words. Budget refusals are Anthropic's billing_error (402, the same
// status); a Sluice outage (database away, shutting down) is overloaded_error 529, which Anthropic
// clients know to retry. Other statuses stay Sluice's own.
const ANTHROPIC_TYPES: Record<ErrorCode, { type: AnthropicErrorType; status?: number }> = {
  validation_error: { type: "invalid_request_error" },
  unauthorized: { type: "authentication_error" },
  key_expired: { type: "authentication_error" },
  key_rotated: { type: "authentication_error" },
  forbidden: { type: "permission_error" },
  model_not_allowed: { type: "permission_error" },
  not_found: { type: "not_found_error" },
  conflict: { type: "invalid_request_error" },
  unsafe_url: { type: "invalid_request_error" },
  rate_limit_exceeded: { type: "rate_limit_error" },
  budget_exceeded: { type: "billing_error" },
  context_length_exceeded: { type: "invalid_request_error" },
  content_filtered: { type: "invalid_request_error" },
  model_error: { type: "api_error" },
  timeout: { type: "timeout_error" },
  service_unavailable: { type: "overloaded_error", status: 529 },
  internal_error: { type: "api_error" },
};

/** A public error in Anthropic's terms: its status and error type. */
export function anthropicErrorOf(error: PublicError): { status: number; type: AnthropicErrorType } {
  const known = ANTHROPIC_TYPES[error.code];
  if (error.status === 413) return { status: 413, type: "request_too_large" };
  return { status: known.status ?? error.status, type: known.type };
}

/**
 * Anthropic's error body, `{ type: "error", error: { type, message }, request_id }`; Sluice's own
 * `code` and `details` (every failing path of a 400) ride along inside `error`.
 */
export function anthropicErrorBody(error: PublicError, requestId: string) {
  return {
    type: "error" as const,
    error: {
      type: anthropicErrorOf(error).type,
      message: error.message,
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
    },
    request_id: requestId,
  };
}

/** Answers a request under `/v1/messages` no route took: 404 in Anthropic's shape. */
export function anthropicNoRoute(req: Request, res: Response): void {
  const pub = publicError("not_found", `no route for ${req.method} ${req.originalUrl.split("?")[0]}`);
  res.setHeader("request-id", requestIdOf(req));
  res.status(pub.status).json(anthropicErrorBody(pub, requestIdOf(req)));
}

/** The error handler of Anthropic's routes (and of their unreadable bodies). */
export function anthropicErrorHandler(logger: Logger) {
  return (thrown: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const pub = toPublicError(thrown);
    const requestId = requestIdOf(req);
    if (pub.code === "internal_error")
      logger.error({ err: thrown, request_id: requestId }, "unhandled error");
    if (res.headersSent) {
      res.end();
      return;
    }
    if (pub.retryAfterMs !== undefined)
      res.setHeader("Retry-After", String(Math.max(1, Math.ceil(pub.retryAfterMs / 1000))));
    res.setHeader("request-id", requestId);
    res.status(anthropicErrorOf(pub).status).json(anthropicErrorBody(pub, requestId));
  };
}
