import { errorTransport, httpStatusOf } from "../../src/errors/publicError.ts";

/** What came back for one fuzz case, as far as the checks need it. */
export interface Outcome {
  method: string;
  status: number;
  contentType: string;
  requestId: string | null;
  /** The whole body, or for event streams only what arrived first. */
  body: string;
}

/** One raw request. */
export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Which error shape an answer must have: tRPC's, Sluice's REST envelope, or Anthropic's. */
export type Surface = "trpc" | "rest" | "anthropic";

/** The error shape a REST path answers in: Anthropic's under `/v1/messages`, Sluice's elsewhere. */
export function restSurfaceOf(path: string): Exclude<Surface, "trpc"> {
  return /^\/v1\/messages(?:[/?#]|$)/.test(path) ? "anthropic" : "rest";
}

/** Anthropic's error types; those of server-side failures are not expected from any input. */
const ANTHROPIC_CLIENT_ERRORS = [
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
];
const ANTHROPIC_SERVER_ERRORS = ["api_error", "timeout_error", "overloaded_error"];

/** Counts across the whole file, for the summary line. */
export const fuzzStats = { cases: 0, serverErrors: 0 };

/** A request that takes longer is a hang. */
const REQUEST_TIMEOUT_MS = 15_000;
/** How long an open event stream may take to send its first event after `connected`. */
const STREAM_GRACE_MS = 300;

/** Sends one request over HTTP; event streams are read up to their first real event, then dropped. */
export async function send(baseUrl: string, request: FuzzRequest): Promise<Outcome> {
  fuzzStats.cases++;
  const abort = new AbortController();
  const hang = setTimeout(() => abort.abort(new Error("hang")), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: abort.signal,
    });
    const contentType = res.headers.get("content-type") ?? "";
    // A HEAD answer to an event-stream route has the stream's headers and no body.
    const body =
      contentType.startsWith("text/event-stream") && res.body
        ? await firstEvents(res, abort)
        : await res.text();
    if (res.status >= 500 || streamedServerError(contentType, body)) fuzzStats.serverErrors++;
    return {
      method: request.method,
      status: res.status,
      contentType,
      requestId: res.headers.get("x-request-id"),
      body,
    };
  } catch (error) {
    throw new Error(`${request.method} ${request.path.slice(0, 200)} failed: ${String(error)}`);
  } finally {
    clearTimeout(hang);
    abort.abort();
  }
}

/** The stream's text up to its first event other than `connected`, or what came in a short grace. */
async function firstEvents(res: Response, abort: AbortController): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const grace = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STREAM_GRACE_MS));
  try {
    for (;;) {
      const step = await Promise.race([reader.read(), grace]);
      if (step === undefined || step.done) break;
      text += decoder.decode(step.value, { stream: true });
      if (sseEvents(text).some((e) => e.event !== "connected")) break;
    }
  } finally {
    abort.abort();
    reader.cancel().catch(() => {});
  }
  return text;
}

/** Complete events of an SSE text. */
export function sseEvents(text: string): { event: string; data: string }[] {
  return text
    .split("\n\n")
    .slice(0, -1)
    .map((block) => {
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      return { event, data: data.join("\n") };
    });
}

/** Error payloads (`{ code, message }`) anywhere inside a value. */
function errorsIn(value: unknown, found: { code: unknown; message: unknown }[] = []) {
  if (typeof value !== "object" || value === null) return found;
  const record = value as Record<string, unknown>;
  if (typeof record.code === "string" && record.code in errorTransport && "message" in record)
    found.push({ code: record.code, message: record.message });
  for (const child of Object.values(record)) errorsIn(child, found);
  return found;
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** Whether an event stream carried a server-side error (5xx status or a 5xx error code). */
function streamedServerError(contentType: string, body: string): boolean {
  if (!contentType.startsWith("text/event-stream")) return false;
  return sseEvents(body).some((e) => streamProblems(e).length > 0);
}

/**
 * Problems with one event: a tRPC `serialized-error` must carry a 4xx and the envelope; an error
 * payload in any other event (a chat or job stream's last word) a client error's code. The server
 * is not shutting down while fuzzed, so not even its shutdown notice (503) is expected.
 */
function streamProblems(e: { event: string; data: string }): string[] {
  const value = parse(e.data);
  const problems: string[] = [];
  if (e.event === "serialized-error") {
    const data = (value as { json?: { data?: { httpStatus?: unknown } } } | undefined)?.json?.data;
    if (typeof data?.httpStatus !== "number" || data.httpStatus >= 500)
      problems.push(`stream error with status ${String(data?.httpStatus)}`);
    problems.push(...envelopeProblems(data, null));
  }
  for (const error of errorsIn(value)) {
    const status = httpStatusOf(error.code as keyof typeof errorTransport);
    if (status >= 500) problems.push(`stream error ${String(error.code)}: ${String(error.message)}`);
  }
  // Anthropic's streams end a failure with `event: error` and its own error body.
  const anthropic = (value as { type?: unknown; error?: { type?: unknown } } | undefined)?.error?.type;
  if (e.event === "error" && ANTHROPIC_SERVER_ERRORS.includes(String(anthropic)))
    problems.push(`stream error ${String(anthropic)}`);
  return problems;
}

/** Anthropic's error body `{ type: "error", error: { type, message }, request_id }`, or why not. */
function anthropicEnvelopeProblems(value: unknown, requestId: string | null): string[] {
  const body = value as {
    type?: unknown;
    error?: { type?: unknown; message?: unknown };
    request_id?: unknown;
  };
  const problems: string[] = [];
  if (body?.type !== "error") problems.push(`type is ${String(body?.type)}, not "error"`);
  if (!ANTHROPIC_CLIENT_ERRORS.includes(String(body?.error?.type)))
    problems.push(`no client error type (${String(body?.error?.type)})`);
  if (typeof body?.error?.message !== "string" || body.error.message === "")
    problems.push("no error message");
  if (typeof body?.request_id !== "string" || body.request_id === "") problems.push("no request_id");
  else if (requestId !== null && body.request_id !== requestId)
    problems.push(`request_id ${body.request_id} is not the X-Request-ID ${requestId}`);
  return problems;
}

/** The public error envelope `{ error: { code, message, details? }, request_id }`, or why not. */
function envelopeProblems(value: unknown, requestId: string | null): string[] {
  const envelope = value as { error?: { code?: unknown; message?: unknown }; request_id?: unknown };
  const problems: string[] = [];
  const code = envelope?.error?.code;
  if (typeof code !== "string" || !(code in errorTransport))
    problems.push(`no known error code (${String(code)})`);
  if (typeof envelope?.error?.message !== "string" || envelope.error.message === "")
    problems.push("no error message");
  if (typeof envelope?.request_id !== "string" || envelope.request_id === "") problems.push("no request_id");
  else if (requestId !== null && envelope.request_id !== requestId)
    problems.push(`request_id ${envelope.request_id} is not the X-Request-ID ${requestId}`);
  return problems;
}

/**
 * Where the envelope sits in a tRPC error answer (one call or a batch); a request refused by the
 * HTTP parser, before anyone knows it is a tRPC call, gets the plain envelope.
 */
function trpcEnvelopes(value: unknown): unknown[] {
  if (typeof (value as { error?: { code?: unknown } })?.error?.code === "string") return [value];
  const items = Array.isArray(value) ? value : [value];
  return items
    .filter((item) => typeof item === "object" && item !== null && "error" in item)
    .map((item) => (item as { error?: { json?: { data?: unknown } } }).error?.json?.data);
}

/**
 * Problems with an answer: a 5xx, a 4xx without the error envelope and request id, a stream whose
 * first events are server errors. An empty list means the API handled the input.
 */
export function outcomeProblems(outcome: Outcome, surface: Surface): string[] {
  const { status, contentType, body } = outcome;
  if (status >= 500) return [`status ${status}`];
  if (contentType.startsWith("text/event-stream")) {
    if (status !== 200) return [`event stream with status ${status}`];
    return sseEvents(body).flatMap(streamProblems);
  }
  // A HEAD answer has no body to carry the envelope.
  if (status < 400 || outcome.method === "HEAD") return [];
  if (!contentType.includes("application/json")) return [`status ${status} answered as "${contentType}"`];
  const value = parse(body);
  if (value === undefined) return [`status ${status} with a body that is not JSON`];
  if (surface === "rest") return envelopeProblems(value, outcome.requestId);
  if (surface === "anthropic") return anthropicEnvelopeProblems(value, outcome.requestId);
  const envelopes = trpcEnvelopes(value);
  if (envelopes.length === 0) return [`status ${status} without a tRPC error`];
  return envelopes.flatMap((e) => envelopeProblems(e, outcome.requestId));
}

/** Throws (for fast-check to shrink and report) when the answer has problems. */
export function assertHandled(outcome: Outcome, surface: Surface, label: string): void {
  const problems = outcomeProblems(outcome, surface);
  if (problems.length > 0) {
    throw new Error(
      `${label}: ${problems.join("; ")}\n  answer: ${outcome.status} ${outcome.body.slice(0, 500)}`,
    );
  }
}
