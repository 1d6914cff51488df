import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { SluiceError } from "../errors/sluiceError.ts";
import { loadedAnthropic } from "./anthropicSdk.ts";

/** Whether `error` is an instance of the named Anthropic SDK class (never, before the SDK loads). */
function isAnthropic(
  error: unknown,
  name: "APIError" | "APIUserAbortError" | "APIConnectionTimeoutError" | "APIConnectionError",
): boolean {
  const sdk = loadedAnthropic();
  return sdk !== undefined && error instanceof sdk[name];
}

/** Where a provider failure happened, for messages and details. */
export interface FailureSite {
  provider: string;
  model: string;
}

type SdkApiError = InstanceType<typeof OpenAI.APIError> | InstanceType<typeof Anthropic.APIError>;

/** The standard abort error, thrown when a caller's signal fires. */
export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error && reason.name === "AbortError"
    ? reason
    : new DOMException("the operation was aborted", "AbortError");
}

/** True for an abort (the caller's signal), as opposed to a failure. */
export function isAbort(error: unknown): boolean {
  return (
    (error instanceof Error && error.name === "AbortError") ||
    error instanceof OpenAI.APIUserAbortError ||
    isAnthropic(error, "APIUserAbortError")
  );
}

/** Milliseconds a provider asked us to wait, from `retry-after-ms` or `retry-after` (seconds or date). */
export function retryAfterMsOf(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isApiError(error: unknown): error is SdkApiError {
  return error instanceof OpenAI.APIError || isAnthropic(error, "APIError");
}

function bodyText(error: SdkApiError): string {
  return `${error.message} ${JSON.stringify(error.error ?? {})}`.toLowerCase();
}

function fromStatus(error: SdkApiError, site: FailureSite): SluiceError {
  const status = error.status ?? 0;
  const details = { ...site, upstreamStatus: status };
  const where = `${site.provider} model ${site.model}`;
  const text = bodyText(error);
  if (status === 429) {
    const retryAfterMs = retryAfterMsOf(error.headers);
    return new SluiceError("rate_limit_exceeded", `${where} is rate limited upstream`, {
      details,
      cause: error,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (
    text.includes("context_length_exceeded") ||
    text.includes("context window") ||
    text.includes("too long")
  ) {
    return new SluiceError("context_length_exceeded", `the request does not fit the context of ${where}`, {
      details,
      cause: error,
    });
  }
  if (
    text.includes("content_filter") ||
    text.includes("content policy") ||
    text.includes("content management")
  ) {
    return new SluiceError("content_filtered", `${where} refused the content`, { details, cause: error });
  }
  if (status === 401 || status === 403) {
    return new SluiceError("model_error", `${site.provider} rejected Sluice's credentials`, {
      details,
      cause: error,
      retriable: false,
    });
  }
  if (status === 404) {
    return new SluiceError("model_error", `${where} does not exist upstream`, {
      details,
      cause: error,
      retriable: false,
    });
  }
  if (status === 400 || status === 422) {
    return new SluiceError("validation_error", `${where} rejected the request: ${error.message}`, {
      details,
      cause: error,
    });
  }
  if (status === 502 || status === 503 || status === 504 || status === 529) {
    const retryAfterMs = retryAfterMsOf(error.headers);
    return new SluiceError("service_unavailable", `${where} is unavailable (HTTP ${status})`, {
      details,
      cause: error,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  return new SluiceError("model_error", `${where} failed (HTTP ${status})`, { details, cause: error });
}

/** Turns anything a provider SDK throws into a SluiceError; aborts pass through untouched. */
export function toSluiceError(error: unknown, site: FailureSite): unknown {
  if (error instanceof SluiceError || isAbort(error)) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError || isAnthropic(error, "APIConnectionTimeoutError")) {
    return new SluiceError("timeout", `${site.provider} model ${site.model} did not answer in time`, {
      details: { ...site },
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIConnectionError || isAnthropic(error, "APIConnectionError")) {
    return new SluiceError(
      "service_unavailable",
      `cannot reach ${site.provider}: ${(error as Error).message}`,
      {
        details: { ...site },
        cause: error,
      },
    );
  }
  if (isApiError(error) && error.status !== undefined) return fromStatus(error, site);
  const message = error instanceof Error ? error.message : String(error);
  return new SluiceError(
    "model_error",
    `${site.provider} model ${site.model} sent an unusable response: ${message}`,
    {
      details: { ...site },
      cause: error,
    },
  );
}

/** A malformed upstream response (wrong shape, cut stream). */
export function malformedResponse(site: FailureSite, what: string): SluiceError {
  return new SluiceError(
    "model_error",
    `${site.provider} model ${site.model} sent a malformed response: ${what}`,
    {
      details: { ...site },
    },
  );
}

/**
 * The error to raise when a provider stream fails: the caller's abort, a cut stream once the
 * response has started (a broken connection then is not an unreachable provider), or the mapped error.
 */
export function streamFailure(
  error: unknown,
  site: FailureSite,
  signal: AbortSignal,
  started: boolean,
): unknown {
  if (signal.aborted) return abortError(signal);
  if (started) return malformedResponse(site, `the stream was cut (${(error as Error).message})`);
  return toSluiceError(error, site);
}
