/** Every public error code, each with one HTTP status and one tRPC code. */
export const errorCodes = {
  validation_error: { status: 400, trpc: "BAD_REQUEST", retriable: false },
  unauthorized: { status: 401, trpc: "UNAUTHORIZED", retriable: false },
  forbidden: { status: 403, trpc: "FORBIDDEN", retriable: false },
  not_found: { status: 404, trpc: "NOT_FOUND", retriable: false },
  conflict: { status: 409, trpc: "CONFLICT", retriable: false },
  rate_limit_exceeded: { status: 429, trpc: "TOO_MANY_REQUESTS", retriable: true },
  budget_exceeded: { status: 402, trpc: "PAYMENT_REQUIRED", retriable: false },
  context_length_exceeded: { status: 400, trpc: "BAD_REQUEST", retriable: false },
  content_filtered: { status: 422, trpc: "UNPROCESSABLE_CONTENT", retriable: false },
  model_error: { status: 502, trpc: "BAD_GATEWAY", retriable: true },
  timeout: { status: 504, trpc: "GATEWAY_TIMEOUT", retriable: true },
  service_unavailable: { status: 503, trpc: "SERVICE_UNAVAILABLE", retriable: true },
  internal_error: { status: 500, trpc: "INTERNAL_SERVER_ERROR", retriable: false },
} as const;

/** A public error code. */
export type ErrorCode = keyof typeof errorCodes;

/** The tRPC code a public error maps to. */
export type TrpcErrorCode = (typeof errorCodes)[ErrorCode]["trpc"];

/** Options for {@link SluiceError}. */
export interface SluiceErrorOptions {
  details?: Record<string, unknown>;
  /** When the caller may try again (rate limits, provider back-off). */
  retryAfterMs?: number;
  /** Overrides the code's default retriability (e.g. a provider 404 is a model_error that retrying cannot fix). */
  retriable?: boolean;
  cause?: unknown;
}

/** The one error type Sluice raises on purpose: a code, a message for people, optional details. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;
  readonly #retriable: boolean | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SluiceError";
    this.code = code;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.#retriable = options.retriable;
  }

  /** HTTP status for this error. */
  get httpStatus(): number {
    return errorCodes[this.code].status;
  }

  /** tRPC error code for this error. */
  get trpcCode(): TrpcErrorCode {
    return errorCodes[this.code].trpc;
  }

  /** Whether trying the same thing again may succeed. */
  get retriable(): boolean {
    return this.#retriable ?? errorCodes[this.code].retriable;
  }
}

/** True for a {@link SluiceError}, optionally of one code. */
export function isSluiceError(error: unknown, code?: ErrorCode): error is SluiceError {
  return error instanceof SluiceError && (code === undefined || error.code === code);
}
