import {
  type AnyTRPCRouter,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  isTrackedEnvelope,
  TRPCError,
} from "@trpc/server";
import { isObservable, observableToAsyncIterable } from "@trpc/server/observable";
import type { NextFunction, Request, Response } from "express";

/**
 * Serves tRPC subscriptions (`GET /trpc/<path>?input=…`, as `httpSubscriptionLink` sends them)
 * with one socket write per event, in the wire format tRPC's own SSE producer uses:
 * `connected` first, each value as `data:` (with `id:` when it is `tracked()`), `return` at the end,
 * or `serialized-error` with the formatted error shape.
 *
 * The procedure is called through `callTRPCProcedure`, so its middlewares, input parser and error
 * formatter are the ones every other call goes through. Only the transport differs: tRPC's adapter
 * passes each event through five web streams and writes its lines separately, which costs about
 * three times the CPU per delivered event (see docs/benchmarks.md); with 1,000 subscribers that
 * is the difference between p99 latencies above and below 100 ms.
 *
 * A value passed through {@link shareValue} is serialized once, however many subscribers it reaches:
 * a subscription fanning one shared object out (a job's event) yields it shared.
 *
 * Anything that is not a GET for a subscription goes on to tRPC's adapter.
 */
export function subscriptionStreams<TContext extends object>(options: {
  router: AnyTRPCRouter;
  createContext: (req: Request) => TContext;
  /**
   * Admits the stream before it starts (throw to refuse it, e.g. over a per-tenant limit). Its
   * pass is released when the stream ends, and `expired` ends the stream with `expiredError`.
   */
  admit?: (ctx: TContext) => Promise<{ expired: AbortSignal; release(): void } | undefined>;
  expiredError?: () => unknown;
  /**
   * The transformer's output as JSON text, computed more cheaply, for the values it knows; undefined
   * for the rest, which go through the transformer. It must write exactly what the transformer would.
   */
  serializeFast?: (value: unknown) => string | undefined;
}) {
  const { router } = options;
  const config = router._def._config;
  const serializeNow = (value: unknown): string =>
    options.serializeFast?.(value) ?? JSON.stringify(config.transformer.output.serialize(value));
  const serialize = (value: unknown): string => {
    const slot = typeof value === "object" && value !== null ? (value as Shared)[SERIALIZED] : undefined;
    if (slot === undefined) return serializeNow(value);
    slot.text ??= serializeNow(value);
    return slot.text;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.method === "GET" ? procedurePath(req.path) : undefined;
    const procedure = path === undefined ? undefined : router._def.procedures[path];
    if (path === undefined || procedure?._def.type !== "subscription") {
      next();
      return;
    }
    void serve(req, res, path).catch(next);
  };

  async function serve(req: Request, res: Response, path: string): Promise<void> {
    const abort = new AbortController();
    res.once("close", () => abort.abort());
    // The stream ends when the client goes, or when it has been open for as long as it may.
    let stop = abort.signal;
    const ctx = options.createContext(req);
    let input: unknown;
    const send = async (frame: string): Promise<void> => {
      if (!writeNow(res, frame, abort.signal)) await drained(res, stop);
    };
    const fail = (cause: unknown): Promise<void> => {
      const error = getTRPCErrorFromUnknown(cause);
      const shape = getTRPCErrorShape({ config, ctx, error, input, path, type: "subscription" });
      return send(`event: serialized-error\ndata: ${serialize(shape)}\n\n`);
    };

    res.status(200);
    res.setHeader("Content-Type", "text/event-stream");
    res.setHeader("Cache-Control", "no-cache, no-transform");
    res.setHeader("X-Accel-Buffering", "no");
    res.setHeader("Connection", "keep-alive");
    let lastEventId = lastEventIdOf(req);
    let pass: { expired: AbortSignal; release(): void } | undefined;
    try {
      let iterable: unknown;
      try {
        pass = await options.admit?.(ctx);
        if (pass) stop = AbortSignal.any([abort.signal, pass.expired]);
        const result = await callTRPCProcedure({
          router,
          path,
          type: "subscription",
          ctx,
          signal: stop,
          batchIndex: 0,
          getRawInput: async () => {
            input = rawInput(req, config.transformer.input.deserialize, lastEventId);
            return input;
          },
        });
        iterable = isObservable(result) ? observableToAsyncIterable(result, stop) : result;
        if (!isAsyncIterable(iterable)) {
          throw new TRPCError({
            code: "INTERNAL_SERVER_ERROR",
            message: `Subscription ${path} did not return an observable or a AsyncGenerator`,
          });
        }
      } catch (cause) {
        await send("event: connected\ndata: {}\n\n");
        await fail(cause);
        return;
      }
      await send("event: connected\ndata: {}\n\n");
      const iterator = iterable[Symbol.asyncIterator]();
      const steps = stepsUntil(iterator, stop);
      try {
        for (;;) {
          const step = await steps.next();
          if (step === undefined || step.done) break;
          const value: unknown = step.value;
          let frame: string;
          if (isTrackedEnvelope(value)) {
            lastEventId = String(value[0]);
            frame = `id: ${lastEventId}\ndata: ${serialize(value[1])}\n\n`;
          } else if (lastEventId === null) {
            frame = `data: ${serialize(value)}\n\n`;
          } else {
            // An event without an id would take the last id in the client's EventSource; clear it for
            // this event and restore it with one clients ignore, so a reconnect still resumes from it.
            frame = `id: \ndata: ${serialize(value)}\n\nevent: restore-id\ndata: \nid: ${lastEventId}\n\n`;
          }
          // Waits only when the socket's buffer is full.
          if (!writeNow(res, frame, abort.signal)) await drained(res, stop);
        }
        if (!abort.signal.aborted && pass?.expired.aborted) await fail(options.expiredError?.());
        else if (!abort.signal.aborted) await send("event: return\ndata: \n\n");
      } catch (cause) {
        if (!abort.signal.aborted) await fail(cause);
      } finally {
        steps.close();
        abort.abort();
        void iterator.return?.().catch(() => {});
      }
    } finally {
      pass?.release();
      res.end();
    }
  }
}

const SERIALIZED = Symbol("serialized once for every stream");
type Shared = { [SERIALIZED]?: { text?: string } };

/**
 * Freezes a value that many subscription streams will write (one event fanned out to all its
 * subscribers), with room for its serialized text on the value itself: the first stream to write
 * it serializes it, the others write that text. The room is a non-enumerable symbol-keyed
 * property, which serializers and clients never see; a WeakMap from values to their text did the
 * same at about 10 µs more per event, the garbage collector's work for its short-lived keys.
 */
export function shareValue<T extends object>(value: T): Readonly<T> {
  Object.defineProperty(value, SERIALIZED, { value: {} });
  return Object.freeze(value);
}

/** `/jobs.onEvents` → `jobs.onEvents`; undefined when it is not one procedure's path. */
function procedurePath(requestPath: string): string | undefined {
  try {
    const path = decodeURIComponent(requestPath.slice(1));
    return path === "" || path.includes(",") || path.includes("/") ? undefined : path;
  } catch {
    return undefined;
  }
}

/** The id a reconnecting EventSource resumes from: its header, or the query parameter. */
function lastEventIdOf(req: Request): string | null {
  const header = req.header("last-event-id");
  const query = req.query.lastEventId ?? req.query["Last-Event-Id"];
  const id = header ?? (typeof query === "string" ? query : null);
  // An id with these characters could not be sent back in an `id` field; an empty one is none.
  return id && !/[\0\n\r]/.test(id) ? id : null;
}

/** The call's input from `?input=` (transformer-encoded JSON), with `lastEventId` merged in. */
function rawInput(
  req: Request,
  deserialize: (value: unknown) => unknown,
  lastEventId: string | null,
): unknown {
  const query = req.query.input;
  let input: unknown;
  if (typeof query === "string" && query !== "") {
    try {
      input = deserialize(JSON.parse(query));
    } catch (cause) {
      // As tRPC's adapter reports an input it cannot read.
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: cause instanceof Error ? cause.message : "Invalid input",
        cause,
      });
    }
  }
  if (lastEventId === null) return input;
  if (typeof input === "object" && input !== null && !Array.isArray(input)) return { ...input, lastEventId };
  return input ?? { lastEventId };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * The iterator's steps, each undefined once `signal` has fired (even while a step is still pending).
 * One abort listener serves the whole stream: subscribing per step costs more than the step.
 */
function stepsUntil(
  iterator: AsyncIterator<unknown>,
  signal: AbortSignal,
): { next(): Promise<IteratorResult<unknown> | undefined>; close(): void } {
  let stopped = signal.aborted;
  let settle: ((step: undefined) => void) | undefined;
  const onAbort = () => {
    stopped = true;
    settle?.(undefined);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    next() {
      if (stopped) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        settle = resolve;
        iterator.next().then(resolve, reject);
      });
    },
    close() {
      settle = undefined;
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/** Writes one frame now; false when the socket's buffer is full (wait for it to drain). */
function writeNow(res: Response, frame: string, signal: AbortSignal): boolean {
  if (signal.aborted || res.writableEnded) return true;
  return res.write(frame);
}

/**
 * Resolves when the response's socket has drained, or closed, or `stop` fires: a client that stops
 * reading still has its stream ended when its time is up.
 */
function drained(res: Response, stop?: AbortSignal): Promise<void> {
  if (stop?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      stop?.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
    stop?.addEventListener("abort", done, { once: true });
  });
}
