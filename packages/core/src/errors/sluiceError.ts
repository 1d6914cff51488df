/**
 * Every public error code with its domain facts: whether trying again may help by default, and
 * whether the request or its caller is at fault (bad input, no access, a limit reached) rather than
 * Sluice or its models. How a transport shows a code (HTTP status, tRPC code) lives in that transport.
 */
export const errorCodes = {
  validation_error: { retriable: false, clientFault: true },
  unauthorized: { retriable: false, clientFault: true },
  /** A key past its expiry time. */
  key_expired: { retriable: false, clientFault: true },
  /** A key's old secret after its rotation grace period. */
  key_rotated: { retriable: false, clientFault: true },
  forbidden: { retriable: false, clientFault: true },
  /** A model or cascade outside the key's allowed patterns. */
  model_not_allowed: { retriable: false, clientFault: true },
  not_found: { retriable: false, clientFault: true },
  conflict: { retriable: false, clientFault: true },
  /** An outbound URL (webhook, alert) that is not http(s) or reaches no public address. */
  unsafe_url: { retriable: false, clientFault: true },
  rate_limit_exceeded: { retriable: true, clientFault: true },
  budget_exceeded: { retriable: false, clientFault: true },
  context_length_exceeded: { retriable: false, clientFault: true },
  content_filtered: { retriable: false, clientFault: true },
  model_error: { retriable: true, clientFault: false },
  timeout: { retriable: true, clientFault: false },
  service_unavailable: { retriable: true, clientFault: false },
  internal_error: { retriable: false, clientFault: false },
} as const satisfies Record<string, { retriable: boolean; clientFault: boolean }>;

/** A public error code. */
export type ErrorCode = keyof typeof errorCodes;

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

  /** Whether the request or its caller is at fault, not Sluice or its models. */
  get clientFault(): boolean {
    return errorCodes[this.code].clientFault;
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
