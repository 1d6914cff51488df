import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTRPCClient, TRPCClientError } from "@trpc/client";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import superjson from "superjson";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { sseSubscriptionLink } from "../src/sseSubscriptionLink.ts";

// tRPC's own server adapter is the reference for the wire format the link reads.
const t = initTRPC.create({ transformer: superjson });
const router = t.router({
  counter: t.procedure
    .input(z.object({ to: z.int(), lastEventId: z.string().nullish() }))
    .subscription(async function* ({ input }) {
      for (let i = Number(input.lastEventId ?? 0) + 1; i <= input.to; i++) {
        yield tracked(String(i), { n: i, at: new Date(i * 1000) });
      }
    }),
  plain: t.procedure.subscription(async function* () {
    yield { word: "one" };
    yield { word: "two" };
  }),
  conflict: t.procedure.subscription(async function* () {
    yield "before";
    throw new TRPCError({ code: "CONFLICT", message: "went wrong mid-stream" });
  }),
});
type Router = typeof router;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** tRPC's standalone handler under `/trpc`, counting the requests it gets. */
async function trpcServer(): Promise<{ url: string; requests: () => number }> {
  const handler = createHTTPHandler({ router, basePath: "/trpc/" });
  let requests = 0;
  const url = await listen((req, res) => {
    requests++;
    handler(req, res);
  });
  return { url: `${url}/trpc`, requests: () => requests };
}

function client(url: string, headers?: () => Record<string, string>) {
  return createTRPCClient<Router>({
    links: [
      sseSubscriptionLink({ url, transformer: superjson, reconnectMs: 20, ...(headers ? { headers } : {}) }),
    ],
  });
}

/** Everything a subscription reports until it completes or fails. */
function record<T>(
  subscribe: (handlers: {
    onStarted: () => void;
    onData: (value: T) => void;
    onError: (error: unknown) => void;
    onComplete: () => void;
    onConnectionStateChange: (state: { state: string; error: unknown }) => void;
  }) => { unsubscribe(): void },
) {
  const seen = { values: [] as T[], started: 0, states: [] as string[], errors: [] as unknown[] };
  const ended = new Promise<{ error?: unknown }>((resolve) => {
    subscribe({
      onStarted: () => void seen.started++,
      onData: (value) => void seen.values.push(value),
      onError: (error) => resolve({ error }),
      onComplete: () => resolve({}),
      onConnectionStateChange: (s) => {
        seen.states.push(s.state);
        if (s.error) seen.errors.push(s.error);
      },
    });
  });
  return { seen, ended };
}

/** A hand-written SSE response: `connected`, then `frames`, then whatever `finish` does. */
function sse(res: http.ServerResponse, frames: string[]): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write("event: connected\ndata: {}\n\n");
  for (const frame of frames) res.write(frame);
}
const frame = (id: string, value: unknown) =>
  `id: ${id}\ndata: ${JSON.stringify(superjson.serialize(value))}\n\n`;
const inputOf = (req: http.IncomingMessage) =>
  superjson.deserialize(JSON.parse(new URL(req.url!, "http://x").searchParams.get("input")!)) as Record<
    string,
    unknown
  >;

describe("sseSubscriptionLink against tRPC's own SSE producer", () => {
  it("delivers tracked events with their ids and transformed values, then completes", async () => {
    const server = await trpcServer();
    const { seen, ended } = record<{ id: string; data: { n: number; at: Date } }>((h) =>
      client(server.url).counter.subscribe({ to: 3 }, h),
    );
    expect(await ended).toEqual({});
    expect(seen.values.map((v) => v.id)).toEqual(["1", "2", "3"]);
    expect(seen.values.map((v) => v.data.n)).toEqual([1, 2, 3]);
    expect(seen.values[2]!.data.at).toEqual(new Date(3000));
    expect(seen.started).toBe(1);
    expect(seen.states).toEqual(["connecting", "pending", "idle"]);
    expect(server.requests()).toBe(1);
  });

  it("delivers untracked values as they are", async () => {
    const server = await trpcServer();
    const { seen, ended } = record<{ word: string }>((h) => client(server.url).plain.subscribe(undefined, h));
    await ended;
    expect(seen.values).toEqual([{ word: "one" }, { word: "two" }]);
  });

  it("ends with the procedure's error, typed, without reconnecting", async () => {
    const server = await trpcServer();
    const { seen, ended } = record<string>((h) => client(server.url).conflict.subscribe(undefined, h));
    const { error } = await ended;
    expect(seen.values).toEqual(["before"]);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<Router>).data?.code).toBe("CONFLICT");
    expect((error as Error).message).toBe("went wrong mid-stream");
    // real time under test: no reconnect comes within five reconnect delays (20 ms each).
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests()).toBe(1);
  });

  it("runs as an async iterable too", async () => {
    const server = await trpcServer();
    const ids: string[] = [];
    for await (const event of client(server.url).counter.subscribe({ to: 2 })) ids.push(event.id);
    expect(ids).toEqual(["1", "2"]);
  });
});

describe("sseSubscriptionLink reconnects", () => {
  it("after a stream broke off, resuming from the last id: nothing missed, nothing repeated", async () => {
    const inputs: Record<string, unknown>[] = [];
    const url = await listen((req, res) => {
      inputs.push(inputOf(req));
      if (inputs.length === 1) {
        sse(res, ["retry: 30\n\n", frame("1", { n: 1 }), frame("2", { n: 2 })]);
        setTimeout(() => res.destroy(), 20);
      } else {
        sse(res, [frame("3", { n: 3 }), "event: return\ndata: \n\n"]);
        res.end();
      }
    });
    const { seen, ended } = record<{ id: string; data: { n: number } }>((h) =>
      client(url).counter.subscribe({ to: 3 }, h),
    );
    expect(await ended).toEqual({});
    expect(seen.values.map((v) => [v.id, v.data.n])).toEqual([
      ["1", 1],
      ["2", 2],
      ["3", 3],
    ]);
    expect(inputs).toEqual([{ to: 3 }, { to: 3, lastEventId: "2" }]);
    expect(seen.started).toBe(2);
    expect(seen.states).toEqual(["connecting", "pending", "connecting", "pending", "idle"]);
  });

  it("after a retryable serialized error, and while a proxy answers 503", async () => {
    let requests = 0;
    const url = await listen((req, res) => {
      requests++;
      if (requests === 1) {
        sse(res, [
          frame("1", "a"),
          `event: serialized-error\ndata: ${JSON.stringify(superjson.serialize({ code: -32603, message: "restarting", data: { code: "INTERNAL_SERVER_ERROR" } }))}\n\n`,
        ]);
        res.end();
      } else if (requests === 2) {
        res.writeHead(503, { "content-type": "text/plain" }).end("upstream restarting");
      } else {
        expect(inputOf(req).lastEventId).toBe("1");
        sse(res, [frame("2", "b"), "event: return\ndata: \n\n"]);
        res.end();
      }
    });
    const { seen, ended } = record<unknown>((h) => client(url).counter.subscribe({ to: 2 }, h));
    expect(await ended).toEqual({});
    expect(seen.values.map((v) => (v as { data: string }).data)).toEqual(["a", "b"]);
    expect(requests).toBe(3);
    expect(seen.errors.map((e) => (e as Error).message)).toEqual([
      "restarting",
      "subscription counter failed: HTTP 503",
    ]);
  });

  it("after the server's inactivity limit passes without a word", async () => {
    let requests = 0;
    const url = await listen((_req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: connected\ndata: ${JSON.stringify({ reconnectAfterInactivityMs: 80 })}\n\n`);
      if (requests === 2) res.end(`${frame("1", "late")}event: return\ndata: \n\n`);
    });
    const { seen, ended } = record<unknown>((h) => client(url).counter.subscribe({ to: 1 }, h));
    expect(await ended).toEqual({});
    expect(seen.values.map((v) => (v as { data: string }).data)).toEqual(["late"]);
    expect(String(seen.errors[0])).toContain("Timeout of 80ms");
  });
});

describe("sseSubscriptionLink fails clearly", () => {
  it("on a refused request, with the server's typed error and no retry", async () => {
    let requests = 0;
    const url = await listen((req, res) => {
      requests++;
      expect(req.headers.authorization).toBe("Bearer wrong");
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: superjson.serialize({
            code: -32001,
            message: "invalid API key",
            data: { code: "UNAUTHORIZED" },
          }),
        }),
      );
    });
    const { ended } = record((h) =>
      client(url, () => ({ authorization: "Bearer wrong" })).counter.subscribe({ to: 1 }, h),
    );
    const { error } = await ended;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as Error).message).toBe("invalid API key");
    expect((error as TRPCClientError<Router>).data?.code).toBe("UNAUTHORIZED");
    // real time under test: no reconnect comes within five reconnect delays (20 ms each).
    await new Promise((r) => setTimeout(r, 100));
    expect(requests).toBe(1);
  });

  it("on an event that is not valid JSON, instead of throwing in the process", async () => {
    const url = await listen((_req, res) => sse(res, [frame("1", "fine"), "id: 2\ndata: {not json\n\n"]));
    const { seen, ended } = record<unknown>((h) => client(url).counter.subscribe({ to: 2 }, h));
    const { error } = await ended;
    expect(seen.values.map((v) => (v as { data: string }).data)).toEqual(["fine"]);
    expect(error).toBeInstanceOf(TRPCClientError);
  });

  it("closes its connection on unsubscribe and does not come back", async () => {
    let requests = 0;
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const url = await listen((req, res) => {
      requests++;
      req.socket.once("close", closed);
      sse(res, [frame("1", "first")]);
    });
    const values: unknown[] = [];
    const sub = client(url).counter.subscribe(
      { to: 5 },
      {
        onData: (v) => {
          values.push(v);
          sub.unsubscribe();
        },
      },
    );
    await gone;
    // real time under test: no reconnect comes within five reconnect delays (20 ms each).
    await new Promise((r) => setTimeout(r, 100));
    expect(values).toHaveLength(1);
    expect(requests).toBe(1);
  });
});
