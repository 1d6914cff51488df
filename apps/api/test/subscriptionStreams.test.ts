import http from "node:http";
import type { AddressInfo } from "node:net";
import { TRPCClientError } from "@trpc/client";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express from "express";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { plainSuperjson } from "../src/trpc/plainSuperjson.ts";
import { shareValue, subscriptionStreams } from "../src/trpc/subscriptionStreams.ts";
import { eventSourceClient } from "./support/trpcClients.ts";

// A router of its own, so the stream writer is checked against tRPC's own client and nothing else.
interface Ctx {
  token: string | undefined;
  /** How long the stream may stay open (`x-expire-ms`); unlimited without. */
  expireMs: number | undefined;
}
const t = initTRPC.context<Ctx>().create({
  transformer: superjson,
  errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, marker: "formatted" } }),
});
const authed = t.procedure.use(({ ctx, next }) => {
  if (ctx.token !== "secret") throw new TRPCError({ code: "UNAUTHORIZED", message: "bad token" });
  return next();
});
let cleanedUp = 0;
/** One value every stream of `shared` writes, and how often the writer serialized anything. */
const sharedValue = shareValue({ word: "same for all", at: new Date(7) });
let serializations = 0;
/** Streams admitted and not yet released. */
let open = 0;
const appRouter = t.router({
  hello: t.procedure.query(() => "hi"),
  counter: authed
    .input(z.object({ to: z.int().min(1).max(100), lastEventId: z.string().nullish() }))
    .subscription(async function* ({ input }) {
      for (let i = Number(input.lastEventId ?? 0) + 1; i <= input.to; i++) {
        yield tracked(String(i), { n: i, at: new Date(0) });
      }
    }),
  // Dates below the top level: left to superjson by the fast path.
  nested: t.procedure.subscription(async function* () {
    yield { when: { at: new Date(5) }, list: [new Date(6)] };
  }),
  shared: t.procedure.subscription(async function* () {
    yield tracked("1", sharedValue);
  }),
  mixed: t.procedure.subscription(async function* () {
    yield tracked("1", "first");
    yield "untracked";
  }),
  failing: t.procedure.subscription(async function* () {
    yield "before";
    throw new TRPCError({ code: "CONFLICT", message: "went wrong mid-stream" });
  }),
  forever: t.procedure.subscription(async function* ({ signal }) {
    try {
      let i = 0;
      while (!signal?.aborted) {
        yield i++;
        // real time under test: an endless stream at its own pace, ended only by the client going.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      cleanedUp++;
    }
  }),
  // Far more than a socket buffer holds, as fast as it can.
  flood: t.procedure.subscription(async function* () {
    const big = "x".repeat(256 * 1024);
    for (;;) yield big;
  }),
  // Ignores its signal: only the stream writer can end it when the client goes.
  stuck: t.procedure.subscription(async function* () {
    yield "once";
    await new Promise(() => {});
  }),
});

let url = "";
let close: () => Promise<void>;
beforeAll(async () => {
  const app = express();
  const createContext = (req: express.Request): Ctx => ({
    token: req.header("authorization")?.replace(/^Bearer /, ""),
    expireMs: req.header("x-expire-ms") ? Number(req.header("x-expire-ms")) : undefined,
  });
  app.use(
    "/trpc",
    subscriptionStreams({
      router: appRouter,
      createContext,
      // As the API mounts it: plain events skip superjson's walk, the rest go through it.
      serializeFast: (value) => {
        serializations++;
        return plainSuperjson(value);
      },
      admit: async (ctx) => {
        open++;
        const expired = ctx.expireMs ? AbortSignal.timeout(ctx.expireMs) : new AbortController().signal;
        return { expired, release: () => void open-- };
      },
    }),
    createExpressMiddleware({ router: appRouter, createContext: ({ req }) => createContext(req) }),
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});
afterAll(() => close());

function client(token = "secret") {
  return eventSourceClient<typeof appRouter>({ url, headers: { authorization: `Bearer ${token}` } });
}

function input(value: unknown): string {
  return encodeURIComponent(JSON.stringify(superjson.serialize(value)));
}

/** Every event the subscription yields until it completes or fails. */
function collect<T>(
  subscribe: (handlers: {
    onData: (value: T) => void;
    onError: (error: unknown) => void;
    onComplete: () => void;
  }) => { unsubscribe: () => void },
): Promise<{ values: T[]; error?: unknown }> {
  return new Promise((resolve) => {
    const values: T[] = [];
    const sub = subscribe({
      onData: (value) => values.push(value),
      onError: (error) => {
        sub.unsubscribe();
        resolve({ values, error });
      },
      onComplete: () => resolve({ values }),
    });
  });
}

describe("tRPC subscriptions over the stream writer", () => {
  it("writes each event as one frame in tRPC's SSE format", async () => {
    const res = await fetch(`${url}/counter?input=${input({ to: 2 })}`, {
      headers: { authorization: "Bearer secret" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const frame = (n: number) =>
      `id: ${n}\ndata: ${JSON.stringify(superjson.serialize({ n, at: new Date(0) }))}\n\n`;
    expect(await res.text()).toBe(
      `event: connected\ndata: {}\n\n${frame(1)}${frame(2)}event: return\ndata: \n\n`,
    );
  });

  it("resumes after the Last-Event-ID header, merged into the input", async () => {
    const res = await fetch(`${url}/counter?input=${input({ to: 3 })}`, {
      headers: { authorization: "Bearer secret", "last-event-id": "2" },
    });
    const text = await res.text();
    expect(text).toContain("id: 3\n");
    expect(text).not.toContain("id: 1\n");
    expect(text).not.toContain("id: 2\n");
  });

  it("sends values the fast path leaves alone through the transformer, Dates and all", async () => {
    const result = await collect<{ when: { at: Date }; list: Date[] }>((handlers) =>
      client().nested.subscribe(undefined, handlers),
    );
    expect(result.values).toEqual([{ when: { at: new Date(5) }, list: [new Date(6)] }]);
  });

  it("serializes a shared value once for all the streams that write it", async () => {
    serializations = 0;
    const texts = await Promise.all([1, 2, 3].map(async () => (await fetch(`${url}/shared`)).text()));
    const frame = `id: 1\ndata: ${JSON.stringify(superjson.serialize({ word: "same for all", at: new Date(7) }))}\n\n`;
    for (const text of texts) expect(text).toContain(frame);
    expect(serializations).toBe(1);
    // Its room for the text is invisible: no key, nothing in JSON, the value itself frozen.
    expect(Object.keys(sharedValue)).toEqual(["word", "at"]);
    expect(Object.isFrozen(sharedValue)).toBe(true);
  });

  it("keeps the last id across an untracked event so a reconnect still resumes", async () => {
    const text = await (await fetch(`${url}/mixed`)).text();
    expect(text).toContain('id: 1\ndata: {"json":"first"}\n\n');
    expect(text).toContain('id: \ndata: {"json":"untracked"}\n\nevent: restore-id\ndata: \nid: 1\n\n');
  });

  it("is read by tRPC's own client: tracked data, then completion", async () => {
    const result = await collect<{ id: string; data: { n: number; at: Date } }>((handlers) =>
      client().counter.subscribe({ to: 3 }, handlers),
    );
    expect(result.error).toBeUndefined();
    expect(result.values.map((v) => [v.id, v.data.n])).toEqual([
      ["1", 1],
      ["2", 2],
      ["3", 3],
    ]);
    expect(result.values[0]!.data.at).toBeInstanceOf(Date);
  });

  it("delivers middleware, input and mid-stream errors through the router's error formatter", async () => {
    const unauthorized = await collect((handlers) => client("wrong").counter.subscribe({ to: 1 }, handlers));
    expect(unauthorized.error).toBeInstanceOf(TRPCClientError);
    expect(unauthorized.error).toMatchObject({
      message: "bad token",
      data: { code: "UNAUTHORIZED", marker: "formatted" },
    });

    const invalid = await collect((handlers) => client().counter.subscribe({ to: 0 }, handlers));
    expect(invalid.error).toMatchObject({ data: { code: "BAD_REQUEST", marker: "formatted" } });

    const midStream = await collect((handlers) => client().failing.subscribe(undefined, handlers));
    expect(midStream.values).toEqual(["before"]);
    expect(midStream.error).toMatchObject({ message: "went wrong mid-stream", data: { code: "CONFLICT" } });

    const malformed = await (
      await fetch(`${url}/counter?input=%7Bnot-json`, { headers: { authorization: "Bearer secret" } })
    ).text();
    expect(malformed).toMatch(/^event: connected\ndata: \{\}\n\nevent: serialized-error\ndata: /);
    expect(malformed).toContain('"BAD_REQUEST"');
  });

  it("stops the procedure when the client goes away", async () => {
    const before = cleanedUp;
    const seen: number[] = [];
    const sub = client().forever.subscribe(undefined, { onData: (n) => seen.push(n) });
    await expect.poll(() => seen.length).toBeGreaterThan(2);
    sub.unsubscribe();
    await expect.poll(() => cleanedUp, { timeout: 2_000 }).toBe(before + 1);
  });

  it("ends the stream, releasing its pass, when the client goes from a procedure that ignores its signal", async () => {
    const seen: string[] = [];
    const sub = client().stuck.subscribe(undefined, { onData: (v) => seen.push(v) });
    await expect.poll(() => seen).toEqual(["once"]);
    expect(open).toBeGreaterThan(0);
    sub.unsubscribe();
    await expect.poll(() => open, { timeout: 2_000 }).toBe(0);
  });

  it("ends the stream of a client that stops reading once its time is up", async () => {
    const before = open;
    const req = http.get(`${url}/flood`, { headers: { "x-expire-ms": "300" } }, (res) => res.pause());
    req.on("error", () => {});
    await expect.poll(() => open).toBe(before + 1);
    // The writer is waiting for a socket nobody reads; expiry still ends the stream.
    await expect.poll(() => open, { timeout: 3_000 }).toBe(before);
    req.destroy();
  });

  it("leaves queries to tRPC's adapter", async () => {
    expect(await client().hello.query()).toBe("hi");
  });
});
