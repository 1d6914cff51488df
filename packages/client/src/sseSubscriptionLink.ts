import http from "node:http";
import https from "node:https";
import { type Operation, TRPCClientError, type TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { createParser } from "eventsource-parser";
import type { parseSuperjson } from "./parseSuperjson.ts";

/** Options for {@link sseSubscriptionLink}. */
export interface SseSubscriptionLinkOptions {
  /** The tRPC endpoint, e.g. `http://127.0.0.1:3000/trpc`. */
  url: string;
  /** Headers for each (re)connection, e.g. `Authorization`. */
  headers?: () => Record<string, string>;
  /** The router's transformer (superjson for Sluice). */
  transformer: { serialize(value: unknown): unknown; deserialize(value: never): unknown };
  /**
   * Decodes an event's data; by default `JSON.parse`, then the transformer. It must give what that
   * gives (Sluice's client passes {@link parseSuperjson}).
   */
  parse?: (text: string) => unknown;
  /** Wait before reconnecting after a stream broke off, until the server sends `retry:` (default 1 s). */
  reconnectMs?: number;
}

/** Error codes after which the link reconnects rather than fails, as tRPC's own SSE link does. */
const RETRYABLE_CODES: readonly number[] = [
  TRPC_ERROR_CODES_BY_KEY.BAD_GATEWAY,
  TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE,
  TRPC_ERROR_CODES_BY_KEY.GATEWAY_TIMEOUT,
  TRPC_ERROR_CODES_BY_KEY.INTERNAL_SERVER_ERROR,
];
/** HTTP statuses a proxy answers while the API restarts: reconnect. */
const RETRYABLE_STATUSES: readonly number[] = [502, 503, 504];
/** Of a response that is not an event stream, this much is read for its error. */
const MAX_ERROR_BODY = 64 * 1024;

type ConnectionState = "idle" | "connecting" | "pending";

/**
 * A terminating link that runs subscriptions over Server-Sent Events on `node:http`, in tRPC's SSE
 * wire format (`connected`, `id:`/`data:` events, `serialized-error`, `return`, `ping`), with the
 * observable results tRPC's `httpSubscriptionLink` produces: `started` on each connection, data as
 * `{ id, data }` for `tracked()` events, connection states, and after a dropped connection a
 * reconnect whose input carries the last event id, so a tracked stream resumes without gaps or
 * repeats.
 *
 * It reads each event straight off the socket and parses it once. tRPC's link goes through an
 * `EventSource` (fetch and web streams) and two more streams of its own, which with many
 * subscriptions in one process costs several times the CPU per event (see docs/benchmarks.md).
 */
export function sseSubscriptionLink<TRouter extends AnyTRPCRouter>(
  options: SseSubscriptionLinkOptions,
): TRPCLink<TRouter> {
  const base = options.url.replace(/\/+$/, "");
  const parse =
    options.parse ?? ((text: string) => options.transformer.deserialize(JSON.parse(text) as never));
  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type !== "subscription") throw new Error("sseSubscriptionLink only runs subscriptions");
        let finished = false;
        let request: http.ClientRequest | undefined;
        let reconnectTimer: NodeJS.Timeout | undefined;
        let inactivityTimer: NodeJS.Timeout | undefined;
        let retryMs = options.reconnectMs ?? 1_000;
        /** The id the next connection resumes after: that of the last tracked event delivered. */
        let resumeAfter: string | undefined;
        let state: ConnectionState | undefined;

        const setState = (next: ConnectionState, error: TRPCClientError<TRouter> | null) => {
          if (next === state && error === null) return;
          state = next;
          observer.next({ result: { type: "state", state: next, error } } as never);
        };
        const closeRequest = () => {
          clearTimeout(inactivityTimer);
          inactivityTimer = undefined;
          request?.destroy();
          request = undefined;
        };
        const stop = () => {
          finished = true;
          clearTimeout(reconnectTimer);
          closeRequest();
          op.signal?.removeEventListener("abort", end);
        };
        const fail = (cause: unknown) => {
          if (finished) return;
          stop();
          observer.error(TRPCClientError.from(cause as Error));
        };
        const end = () => {
          if (finished) return;
          stop();
          observer.next({ result: { type: "stopped" } } as never);
          setState("idle", null);
          observer.complete();
        };
        const reconnect = (error: TRPCClientError<TRouter> | null, delayMs = retryMs) => {
          if (finished) return;
          closeRequest();
          setState("connecting", error);
          clearTimeout(reconnectTimer);
          reconnectTimer = setTimeout(connect, delayMs);
        };
        function connect(): void {
          if (finished) return;
          const url = requestUrl(base, op, resumeAfter, options.transformer);
          const get = url.protocol === "https:" ? https.get : http.get;
          const req = get(
            url,
            {
              headers: { ...options.headers?.(), accept: "text/event-stream", "cache-control": "no-cache" },
            },
            (res) => {
              if (req !== request) return void res.destroy();
              const type = String(res.headers["content-type"] ?? "");
              if (res.statusCode !== 200 || !type.startsWith("text/event-stream")) {
                readErrorBody(res, (body) => {
                  if (req !== request) return;
                  const error = httpError(op.path, res.statusCode ?? 0, body, options.transformer);
                  if (RETRYABLE_STATUSES.includes(res.statusCode ?? 0)) reconnect(error);
                  else fail(error);
                });
                return;
              }
              readEvents(req, res);
            },
          );
          request = req;
          req.on("error", (error) => {
            if (req === request) reconnect(TRPCClientError.from(error));
          });
        }

        function readEvents(req: http.ClientRequest, res: http.IncomingMessage): void {
          let streamLastId = "";
          const parser = createParser({
            onId: (id) => {
              streamLastId = id;
            },
            onRetry: (ms) => {
              retryMs = ms;
            },
            onEvent: (message) => {
              if (finished || req !== request) return;
              switch (message.event) {
                case undefined:
                case "message": {
                  const data = parse(message.data);
                  if (streamLastId !== "") {
                    resumeAfter = streamLastId;
                    const id = streamLastId;
                    observer.next({ result: { id, data: { id, data } } } as never);
                  } else {
                    observer.next({ result: { data } } as never);
                  }
                  break;
                }
                case "connected": {
                  const settings = JSON.parse(message.data || "{}") as {
                    reconnectAfterInactivityMs?: number;
                  };
                  const inactivityMs = Number(settings.reconnectAfterInactivityMs ?? 0);
                  if (inactivityMs > 0) {
                    inactivityTimer = setTimeout(() => {
                      if (req !== request) return;
                      reconnect(
                        new TRPCClientError(
                          `Timeout of ${inactivityMs}ms reached while waiting for a response`,
                        ),
                        0,
                      );
                    }, inactivityMs);
                  }
                  observer.next({ result: { type: "started" } } as never);
                  setState("pending", null);
                  break;
                }
                case "serialized-error": {
                  const shape = options.transformer.deserialize(JSON.parse(message.data) as never) as {
                    code: number;
                    message: string;
                  };
                  const error = TRPCClientError.from<TRouter>({ error: shape } as never);
                  if (RETRYABLE_CODES.includes(shape.code)) reconnect(error);
                  else fail(error);
                  break;
                }
                case "return":
                  end();
                  break;
                // `ping` keeps an idle stream alive; `restore-id` only moves the id, done by `onId`.
              }
            },
          });
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (req !== request) return;
            inactivityTimer?.refresh();
            try {
              parser.feed(chunk);
            } catch (cause) {
              fail(cause);
            }
          });
          // A stream that ends without `return` broke off: resume it, reporting the break as an
          // EventSource does (tRPC's link passes its error event on).
          res.on("close", () => {
            if (req === request)
              reconnect(new TRPCClientError(`subscription ${op.path}: the stream broke off`));
          });
        }

        if (op.signal?.aborted) {
          end();
          return;
        }
        op.signal?.addEventListener("abort", end, { once: true });
        setState("connecting", null);
        connect();
        return stop;
      });
}

/** `<base>/<path>?input=…`, the input carrying `lastEventId` when resuming, as tRPC's link sends it. */
function requestUrl(
  base: string,
  op: Operation,
  lastEventId: string | undefined,
  transformer: SseSubscriptionLinkOptions["transformer"],
): URL {
  let input = op.input;
  if (lastEventId !== undefined && (input === undefined || input === null || typeof input === "object")) {
    input = { ...(input as object | null | undefined), lastEventId };
  }
  const query =
    input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(transformer.serialize(input)))}`;
  return new URL(`${base}/${op.path}${query}`);
}

function readErrorBody(res: http.IncomingMessage, done: (body: string) => void): void {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    if (body.length < MAX_ERROR_BODY) body += chunk;
  });
  res.on("close", () => done(body.slice(0, MAX_ERROR_BODY)));
}

/** The error of a response that is not an event stream: its tRPC error when it carries one. */
function httpError(
  path: string,
  status: number,
  body: string,
  transformer: SseSubscriptionLinkOptions["transformer"],
): TRPCClientError<AnyTRPCRouter> {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (parsed && typeof parsed === "object" && "error" in parsed) {
      const error = transformer.deserialize(parsed.error as never) as { code: number; message: string };
      if (error && typeof error.message === "string") return TRPCClientError.from({ error } as never);
    }
  } catch {
    // Not JSON: described by its status below.
  }
  return new TRPCClientError(`subscription ${path} failed: HTTP ${status}`);
}
