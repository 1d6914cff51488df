import { randomUUID } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import type { AppRouter } from "@sluice/api";
import { eventSourceSubscriptionLink, startTestApi, type TestApi } from "@sluice/api/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { createTRPCClient, type TRPCClientError, type TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express from "express";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { parseSuperjson } from "../src/parseSuperjson.ts";
import { sseSubscriptionLink } from "../src/sseSubscriptionLink.ts";

// The SSE link replaces tRPC's httpSubscriptionLink over the `eventsource` package (both pinned in
// the catalog). Every case runs the same subscription through both links against a real server and
// compares everything the subscriber sees, in order: starts, connection states, values, errors,
// completion. An upgrade of tRPC or eventsource that changes what subscribers see fails here.

interface Ctx {
  token: string | undefined;
  socket: Socket;
}
const t = initTRPC.context<Ctx>().create({ transformer: superjson, isDev: false });
const authed = t.procedure.use(({ ctx, next }) => {
  if (ctx.token !== "secret") throw new TRPCError({ code: "UNAUTHORIZED", message: "bad token" });
  return next();
});
/** Sockets of `dropping` streams that have not resumed yet: the test cuts them. */
const firstConnections = new Set<Socket>();
/** Runs of `dropping` that have connected once. */
const runs = new Set<string>();
const router = t.router({
  counter: authed
    .input(z.object({ to: z.int().min(1), lastEventId: z.string().nullish() }))
    .subscription(async function* ({ input }) {
      for (let i = Number(input.lastEventId ?? 0) + 1; i <= input.to; i++) {
        yield tracked(String(i), { n: i, at: new Date(i * 1000) });
      }
    }),
  values: t.procedure.subscription(async function* () {
    yield { word: "plain", at: new Date(1) };
    yield { nested: { at: new Date(2) }, list: [new Date(3)], big: 10n, gone: undefined };
    yield "text";
    yield null;
    yield tracked("7", "tracked among untracked");
    yield [1, "two"];
  }),
  failing: t.procedure.subscription(async function* () {
    yield "before";
    throw new TRPCError({ code: "CONFLICT", message: "went wrong mid-stream" });
  }),
  dropping: t.procedure
    .input(z.object({ run: z.string(), lastEventId: z.string().nullish() }))
    .subscription(async function* ({ input, ctx }) {
      // The run's first connection stops after two events, until the test cuts it; any later one
      // (a resume, or a restart that would repeat events) runs to the end.
      const first = !runs.has(input.run);
      runs.add(input.run);
      if (first) firstConnections.add(ctx.socket);
      for (let i = Number(input.lastEventId ?? 0) + 1; i <= 4; i++) {
        yield tracked(String(i), i);
        if (first && i === 2) await new Promise(() => {});
      }
    }),
});
type Router = typeof router;

let url = "";
let closeServer: () => Promise<void>;
beforeAll(async () => {
  const app = express();
  app.use(
    "/trpc",
    createExpressMiddleware({
      router,
      createContext: ({ req }) => ({
        token: req.header("authorization")?.replace(/^Bearer /, ""),
        socket: req.socket,
      }),
    }),
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
  closeServer = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});
afterAll(() => closeServer());

/** The two links under comparison, with the same server, headers and transformer. */
function links<TRouter extends AnyTRPCRouter>(
  base: string,
  token: string,
): Record<"tRPC" | "sluice", TRPCLink<TRouter>> {
  // One request id for both, as the API writes it into its errors.
  const headers = { authorization: `Bearer ${token}`, "x-request-id": "link-conformance" };
  return {
    tRPC: eventSourceSubscriptionLink<TRouter>({ url: base, headers }),
    // As createSluiceClient sets it up; 1 s between reconnects, as an EventSource waits by default.
    sluice: sseSubscriptionLink({
      url: base,
      transformer: superjson,
      parse: parseSuperjson,
      headers: () => headers,
    }),
  };
}

/** What a subscriber can tell about an error. */
function described(error: unknown) {
  const e = error as TRPCClientError<AnyTRPCRouter>;
  return { class: e.constructor.name, message: e.message, shape: e.shape, data: e.data };
}

/** Everything one subscription reports, in order, until it completes or fails. */
function record(
  subscribe: (handlers: {
    onStarted: () => void;
    onData: (value: unknown) => void;
    onError: (error: unknown) => void;
    onComplete: () => void;
    onStopped: () => void;
    onConnectionStateChange: (state: { state: string; error: unknown }) => void;
  }) => { unsubscribe(): void },
  onData?: (value: unknown) => void,
): Promise<unknown[]> {
  const seen: unknown[] = [];
  return new Promise((resolve) => {
    subscribe({
      onStarted: () => seen.push("started"),
      onData: (value) => {
        seen.push({ data: value });
        onData?.(value);
      },
      onError: (error) => {
        seen.push({ error: described(error) });
        resolve(seen);
      },
      onStopped: () => seen.push("stopped"),
      onComplete: () => {
        seen.push("complete");
        resolve(seen);
      },
      // The transport's own words for a broken connection (fetch's or node:http's) are not compared;
      // that there is an error, and its class, are.
      onConnectionStateChange: ({ state, error }) =>
        seen.push({ state, ...(error ? { error: (error as Error).constructor.name } : {}) }),
    });
  });
}

/** Runs one subscription through each link in turn; both reports. */
async function throughBoth(
  token: string,
  subscribe: (
    client: ReturnType<typeof createTRPCClient<Router>>,
    onData: (v: unknown) => void,
  ) => Promise<unknown[]>,
  onData: (v: unknown) => void = () => {},
) {
  const reports: Record<string, unknown[]> = {};
  for (const [name, link] of Object.entries(links<Router>(url, token))) {
    reports[name] = await subscribe(createTRPCClient<Router>({ links: [link] }), onData);
  }
  return reports as { tRPC: unknown[]; sluice: unknown[] };
}

describe("the SSE link against httpSubscriptionLink with eventsource", () => {
  it.each([
    [
      "tracked values with Dates, then completion",
      (c: ReturnType<typeof createTRPCClient<Router>>) => (h: never) => c.counter.subscribe({ to: 3 }, h),
    ],
    [
      "untracked values of every kind, and a tracked one among them",
      (c: ReturnType<typeof createTRPCClient<Router>>) => (h: never) => c.values.subscribe(undefined, h),
    ],
    [
      "an error after a value",
      (c: ReturnType<typeof createTRPCClient<Router>>) => (h: never) => c.failing.subscribe(undefined, h),
    ],
    [
      "an input that fails validation",
      (c: ReturnType<typeof createTRPCClient<Router>>) => (h: never) => c.counter.subscribe({ to: 0 }, h),
    ],
  ])("reports the same for %s", async (_case, subscription) => {
    const { tRPC, sluice } = await throughBoth("secret", (client) => record(subscription(client) as never));
    expect(sluice).toEqual(tRPC);
    expect(tRPC.length).toBeGreaterThan(3);
  });

  it("reports the same refusal by a middleware", async () => {
    const { tRPC, sluice } = await throughBoth("wrong", (client) =>
      record((h) => client.counter.subscribe({ to: 1 }, h)),
    );
    expect(sluice).toEqual(tRPC);
    expect(tRPC.at(-1)).toMatchObject({ error: { message: "bad token", data: { code: "UNAUTHORIZED" } } });
  });

  it("resumes a cut stream from the last id: the same values, nothing missed or repeated", async () => {
    const cutAfterSecond = (value: unknown) => {
      if ((value as { id?: string }).id !== "2") return;
      for (const socket of firstConnections) socket.destroy();
      firstConnections.clear();
    };
    const { tRPC, sluice } = await throughBoth(
      "secret",
      (client, onData) => record((h) => client.dropping.subscribe({ run: randomUUID() }, h), onData),
      cutAfterSecond,
    );
    const values = (report: unknown[]) =>
      report.flatMap((e) => (typeof e === "object" && e !== null && "data" in e ? [e.data] : []));
    expect(values(sluice)).toEqual(values(tRPC));
    expect(values(tRPC)).toEqual([1, 2, 3, 4].map((n) => ({ id: String(n), data: n })));
    expect(sluice).toEqual(tRPC);
  });
});

describe("the SSE link against httpSubscriptionLink on the Sluice API", () => {
  const db = useTestDatabase();
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(db);
  });
  afterAll(() => api?.close());

  it("reports the same chat stream, and the same resume from an event id", async () => {
    const request = {
      model: "sim-small",
      messages: [{ role: "user" as const, content: "Tell me a story about rivers" }],
      max_tokens: 40,
    };
    const streamId = randomUUID();
    const reports: Record<string, unknown[][]> = {};
    for (const [name, link] of Object.entries(links<AppRouter>(`${api.url}/trpc`, api.a.key))) {
      const client = createTRPCClient<AppRouter>({ links: [link] });
      // The first subscription runs the stream; the second resumes it after its third event.
      reports[name] = [
        await record((h) => client.chat.stream.subscribe({ streamId, request }, h)),
        await record((h) => client.chat.stream.subscribe({ streamId, request, lastEventId: "3" }, h)),
      ];
    }
    expect(reports.sluice).toEqual(reports.tRPC);
    const types = reports.tRPC![0]!.flatMap((e) =>
      typeof e === "object" && e !== null && "data" in e
        ? [(e.data as { data: { type: string } }).data.type]
        : [],
    );
    expect(types.at(-1)).toBe("done");
  });

  it("reports the same refusal of a bad key", async () => {
    const reports: Record<string, unknown[]> = {};
    for (const [name, link] of Object.entries(links<AppRouter>(`${api.url}/trpc`, "sk-wrong"))) {
      const client = createTRPCClient<AppRouter>({ links: [link] });
      reports[name] = await record((h) =>
        client.chat.stream.subscribe(
          {
            streamId: randomUUID(),
            request: { model: "sim-small", messages: [{ role: "user", content: "hi" }] },
          },
          h,
        ),
      );
    }
    expect(reports.sluice).toEqual(reports.tRPC);
    expect(reports.tRPC!.at(-1)).toMatchObject({ error: { data: { code: "UNAUTHORIZED" } } });
  });
});
