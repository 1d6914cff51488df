import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import express from "express";
import { type Level, pino } from "pino";
import { pinoHttp } from "pino-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestIdMiddleware, requestIdOf } from "../src/http/requestId.ts";
import { httpLogger, REDACTED_PATHS } from "../src/logging/httpLogger.ts";

// The request logger replaces pino-http (pinned in the catalog). Both log every request of one
// app, each to its own sink; a record the two write differently fails here, so an upgrade of
// pino-http that changes its records shows up as a failing test, not as a silent drift.

type LogRecord = Record<string, unknown>;

function sink(): { stream: Writable; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { stream, records };
}

const isStream = (res: express.Response) =>
  String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");

/**
 * pino-http set to Sluice's choices, each an option pino-http offers: the request as method and
 * URL (never headers: credentials), the response as its status, the request id, levels by status,
 * and an event stream its client closed logged as info under its own message. Everything else
 * (record layout, URL, status, time, the completed / aborted messages) is pino-http's own.
 */
function reference(level: Level) {
  const out = sink();
  const middleware = pinoHttp({
    logger: pino({ level, redact: REDACTED_PATHS }, out.stream),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (req) => ({ request_id: requestIdOf(req as express.Request) }),
    customLogLevel: (_req, res) => {
      const aborted = !res.writableFinished;
      if (aborted && isStream(res as express.Response) && res.statusCode < 400) return "info";
      return aborted || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info";
    },
    // A 5xx answer was already logged with its error where it was raised: the request line has none.
    customErrorObject: (_req, _res, _error, { err: _err, ...record }) => record,
    customErrorMessage: (req, res) =>
      !req.readableAborted && res.writableEnded ? "request completed" : "request aborted",
    customSuccessMessage: (req, res) =>
      isStream(res as express.Response) && !res.writableEnded
        ? "stream closed by client"
        : !req.readableAborted && res.writableEnded
          ? "request completed"
          : "request aborted",
  });
  return { middleware, records: out.records };
}

async function start(level: Level) {
  const sluice = sink();
  const pinoHttpLog = reference(level);
  const app = express();
  app.use(requestIdMiddleware);
  app.use(httpLogger(pino({ level, redact: REDACTED_PATHS }, sluice.stream)));
  app.use(pinoHttpLog.middleware);
  app.use(express.json());
  app.get("/ok", (_req, res) => void res.json({ ok: true }));
  app.post("/bad", (_req, res) => void res.status(400).json({ error: "bad" }));
  app.get("/boom", (_req, res) => void res.status(503).json({ error: "down" }));
  app.get("/thrown", () => {
    throw new Error("handler failed");
  });
  app.get("/stream", (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write("event: connected\ndata: {}\n\n");
  });
  let arrived = () => {};
  const hanging = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  app.get("/hang", () => arrived());
  const v1 = express.Router();
  v1.get("/models", (_req, res) => void res.json({ data: [] }));
  app.use("/v1", v1);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sluice: sluice.records,
    pinoHttp: pinoHttpLog.records,
    /** Resolves once `/hang` has a request, which it never answers. */
    hanging,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A record without what differs between any two writes: the clock and the measured time. */
function comparable(record: LogRecord): LogRecord {
  const { time, responseTime, ...rest } = record;
  expect(typeof time).toBe("number");
  expect(Number.isInteger(responseTime) && (responseTime as number) >= 0).toBe(true);
  return rest;
}

/** The records of both loggers for one request, by its request id. */
function byId(records: LogRecord[], id: string): LogRecord[] {
  return records.filter((r) => r.request_id === id).map(comparable);
}

let info: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  info = await start("info");
});
afterAll(() => info.close());

/** Sends each request with its own id, aborting those marked so after their headers or before any. */
async function send(
  { url, hanging }: { url: string; hanging: Promise<void> },
  requests: { id: string; path: string; init?: RequestInit; abort?: "after headers" | "before the answer" }[],
) {
  for (const { id, path, init, abort } of requests) {
    const controller = new AbortController();
    const headers = { ...(init?.headers as Record<string, string>), "x-request-id": id };
    const pending = fetch(`${url}${path}`, { ...init, headers, signal: controller.signal });
    if (abort === "before the answer") {
      await hanging;
      controller.abort();
      await pending.catch(() => {});
    } else {
      const res = await pending;
      if (abort === "after headers") controller.abort();
      else await res.text();
    }
  }
}

describe("the request logger writes what pino-http writes", () => {
  it("for completed requests of every outcome, at every level", async () => {
    const requests = [
      { id: "ok", path: "/ok?limit=5" },
      {
        id: "bad",
        path: "/bad",
        init: {
          method: "POST",
          headers: { authorization: "Bearer sk-secret", "content-type": "application/json" },
          body: JSON.stringify({ prompt: "my account number is 12345678" }),
        },
      },
      { id: "missing", path: "/nowhere" },
      { id: "boom", path: "/boom" },
      { id: "thrown", path: "/thrown" },
      { id: "mounted", path: "/v1/models" },
    ];
    await send(info, requests);
    for (const { id } of requests) {
      await expect.poll(() => byId(info.pinoHttp, id).length).toBe(1);
      await expect.poll(() => byId(info.sluice, id).length).toBe(1);
      expect(byId(info.sluice, id)).toEqual(byId(info.pinoHttp, id));
    }
    // What the records hold, so a change on both sides at once is seen too.
    expect(byId(info.sluice, "mounted")[0]).toMatchObject({
      level: 30,
      req: { method: "GET", url: "/v1/models" },
      res: { statusCode: 200 },
      msg: "request completed",
    });
    expect(byId(info.sluice, "thrown")[0]).toMatchObject({ level: 50, res: { statusCode: 500 } });
    const all = JSON.stringify(info.sluice);
    expect(all).not.toContain("sk-secret");
    expect(all).not.toContain("12345678");
  });

  it("for an event stream its client closes, and for a request aborted before its answer", async () => {
    await send(info, [
      { id: "stream", path: "/stream", abort: "after headers" },
      { id: "hang", path: "/hang", abort: "before the answer" },
    ]);
    for (const id of ["stream", "hang"]) {
      await expect.poll(() => byId(info.pinoHttp, id).length).toBe(1);
      await expect.poll(() => byId(info.sluice, id).length).toBe(1);
      expect(byId(info.sluice, id)).toEqual(byId(info.pinoHttp, id));
    }
    expect(byId(info.sluice, "stream")[0]).toMatchObject({ level: 30, msg: "stream closed by client" });
    expect(byId(info.sluice, "hang")[0]).toMatchObject({ level: 50, msg: "request aborted" });
  });

  it("writes nothing for the requests below a quiet level, as pino-http writes nothing", async () => {
    const warn = await start("warn");
    try {
      await send(warn, [
        { id: "quiet-ok", path: "/ok" },
        { id: "quiet-bad", path: "/bad", init: { method: "POST" } },
      ]);
      await expect.poll(() => byId(warn.pinoHttp, "quiet-bad").length).toBe(1);
      await expect.poll(() => byId(warn.sluice, "quiet-bad").length).toBe(1);
      expect(byId(warn.sluice, "quiet-bad")).toEqual(byId(warn.pinoHttp, "quiet-bad"));
      expect(warn.sluice).toHaveLength(warn.pinoHttp.length);
      expect(byId(warn.sluice, "quiet-ok")).toEqual([]);
    } finally {
      await warn.close();
    }
  });
});
