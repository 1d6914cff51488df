import OpenAI from "openai";
import { Pool, errors as undiciErrors } from "undici";
import { abortError } from "./providerErrors.ts";

/** Posts JSON to one upstream over kept-alive connections. */
export interface JsonHttpClient {
  /** Resolves with the parsed body of a 2xx answer (undefined when empty); throws the SDK's error classes otherwise. */
  post(path: string, body: unknown, options: { signal: AbortSignal }): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A lean JSON client (undici's connection pool) for the hot, non-streaming calls of the OpenAI wire
 * format. The SDK's fetch stack costs more CPU per call than the rest of a request through Sluice
 * (see docs/benchmarks.md); this path raises the SDK's own error classes, so error mapping is shared.
 */
export function createJsonHttpClient(options: {
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
}): JsonHttpClient {
  const base = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
  const pool = new Pool(base.origin, {
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const headers = { ...options.headers, "content-type": "application/json", accept: "application/json" };

  return {
    async post(path, body, { signal }) {
      const target = `${base.pathname}${path.replace(/^\/+/, "")}`;
      let response: Awaited<ReturnType<Pool["request"]>>;
      try {
        response = await pool.request({
          path: target,
          method: "POST",
          headers,
          body: JSON.stringify(body),
          signal,
        });
      } catch (error) {
        throw transportError(error, signal);
      }
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw transportError(error, signal);
      }
      if (response.statusCode >= 200 && response.statusCode < 300) {
        // An empty answer is no value, as the SDK reads it.
        if (text === "") return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new SyntaxError(`the body is not JSON: ${text.slice(0, 80)}`);
        }
      }
      throw apiError(response.statusCode, text, response.headers);
    },
    close: () => pool.close(),
  };
}

function transportError(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return abortError(signal);
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError)
    return new OpenAI.APIConnectionTimeoutError();
  return new OpenAI.APIConnectionError({ cause: error as Error });
}

function apiError(
  status: number,
  text: string,
  raw: Record<string, string | string[] | undefined>,
): InstanceType<typeof OpenAI.APIError> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  // As the SDK builds it: the body's `error` (or the whole body when it has none), and the text as
  // the message only when the body is not JSON.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const envelope =
    parsed && typeof parsed === "object" && (parsed as { error?: unknown }).error == null
      ? { error: parsed }
      : parsed;
  return OpenAI.APIError.generate(status, envelope as object | undefined, parsed ? undefined : text, headers);
}
