import type { AddressInfo } from "node:net";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { observable } from "@trpc/server/observable";
import express from "express";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "../src/root.ts";
import { plainSuperjson } from "../src/trpc/plainSuperjson.ts";
import { shareValue, subscriptionStreams } from "../src/trpc/subscriptionStreams.ts";

// The stream writer replaces tRPC's own SSE producer (@trpc/server, pinned in the catalog) for
// subscriptions. The same router is served by both, and every stream must carry the same events:
// the same data, ids, errors and endings, as an EventSource reads them. (The bytes differ only in
// field order and blank lines, which the SSE format gives no meaning.) An upgrade of tRPC that
// changes its format fails here.

const t = initTRPC.create({
  transformer: superjson,
  // Stack traces name the call path, which is the one thing the two transports do not share.
  isDev: false,
  errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, marker: "formatted" } }),
});
const guarded = t.procedure.use(() => {
  throw new TRPCError({ code: "UNAUTHORIZED", message: "bad token" });
});
const shared = shareValue({ word: "same for all", at: new Date(7) });
const router = t.router({
  counter: t.procedure
    .input(z.object({ to: z.int().min(1), lastEventId: z.string().nullish() }))
    .subscription(async function* ({ input }) {
      for (let i = Number(input.lastEventId ?? 0) + 1; i <= input.to; i++) {
        yield tracked(String(i), { n: i, at: new Date(i * 1000) });
      }
    }),
  values: t.procedure.subscription(async function* () {
    yield { word: "plain", at: new Date(1) };
    yield { nested: { at: new Date(2) }, list: [new Date(3)], missing: undefined, big: 10n };
    yield "text";
    yield null;
    yield [1, "two", { three: 3 }];
    yield shared;
  }),
  mixed: t.procedure.subscription(async function* () {
    yield "before any id";
    yield tracked("1", "first");
    yield "untracked";
    yield tracked("2", "second");
  }),
  failing: t.procedure.subscription(async function* () {
    yield "before";
    throw new TRPCError({ code: "CONFLICT", message: "went wrong mid-stream" });
  }),
  crashing: t.procedure.subscription(async function* () {
    yield 1;
    throw new Error("an unexpected failure");
  }),
  refused: guarded.subscription(async function* () {
    yield 1;
  }),
  notGenerator: t.procedure.subscription((() => 5) as never),
  fromObservable: t.procedure.subscription(() =>
    observable<{ at: Date }>((observer) => {
      observer.next({ at: new Date(4) });
      observer.complete();
    }),
  ),
  empty: t.procedure.subscription(async function* () {}),
});

let base = "";
let close: () => Promise<void>;
beforeAll(async () => {
  const app = express();
  // As the API mounts the writer: before tRPC's adapter, with the fast serializer.
  app.use(
    "/writer",
    subscriptionStreams({ router, createContext: () => ({}), serializeFast: plainSuperjson }),
    createExpressMiddleware({ router }),
  );
  app.use("/trpc", createExpressMiddleware({ router }));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});
afterAll(() => close());

/** An event as an EventSource dispatches it. */
interface SseEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** The events of an event stream, read as the WHATWG HTML standard's EventSource reads them. */
function dispatched(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let type = "";
  let data = "";
  let lastEventId = "";
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (data !== "") events.push({ type: type || "message", data: data.slice(0, -1), lastEventId });
      type = "";
      data = "";
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    else if (field === "data") data += `${value}\n`;
    else if (field === "id" && !value.includes("\0")) lastEventId = value;
  }
  return events;
}

/** The same request to tRPC's producer and to the writer: status, stream headers, events. */
async function both(pathAndQuery: string, headers: Record<string, string> = {}) {
  const read = async (mount: string) => {
    const res = await fetch(`${base}/${mount}/${pathAndQuery}`, { headers });
    return {
      status: res.status,
      headers: Object.fromEntries(
        ["content-type", "cache-control", "connection", "x-accel-buffering"].map((h) => [
          h,
          res.headers.get(h),
        ]),
      ),
      events: dispatched(await res.text()),
    };
  };
  const [trpc, writer] = await Promise.all([read("trpc"), read("writer")]);
  return { trpc, writer };
}

const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(superjson.serialize(value)))}`;

describe("the stream writer against tRPC's SSE producer", () => {
  it.each([
    ["tracked values with Dates, then return", `counter?${input({ to: 3 })}`],
    ["untracked values of every kind, shared ones included", "values"],
    ["untracked values between tracked ones, keeping the last id", "mixed"],
    ["a stream that yields nothing", "empty"],
    ["a procedure error after a value", "failing"],
    ["an unexpected error after a value", "crashing"],
    ["a middleware's refusal", `refused?${input(undefined)}`],
    ["an input that fails validation", `counter?${input({ to: 0 })}`],
    ["an input that is not JSON", "counter?input=%7Bnot-json"],
    [
      "an input superjson cannot read",
      `counter?input=${encodeURIComponent('{"json":1,"meta":{"v":1,"values":["nope"]}}')}`,
    ],
    ["a procedure that returns no generator", "notGenerator"],
    ["a procedure that returns an observable", "fromObservable"],
    ["a resume from the lastEventId query parameter", `counter?${input({ to: 3 })}&lastEventId=1`],
    ["a resume from the Last-Event-Id query parameter", `counter?${input({ to: 3 })}&Last-Event-Id=2`],
  ])("sends the same events for %s", async (_case, pathAndQuery) => {
    const { trpc, writer } = await both(pathAndQuery);
    expect(writer).toEqual(trpc);
    // Something to compare: tRPC's side opened the stream and ended it.
    expect(trpc.events[0]?.type).toBe("connected");
    expect(["return", "serialized-error"]).toContain(trpc.events.at(-1)?.type);
  });

  it.each([
    ["a Last-Event-ID header", { "last-event-id": "2" }],
    ["an empty Last-Event-ID header", { "last-event-id": "" }],
  ])("sends the same events on a resume with %s", async (_case, headers) => {
    const { trpc, writer } = await both(`counter?${input({ to: 3 })}`, headers);
    expect(writer).toEqual(trpc);
    expect(trpc.events.some((e) => e.type === "message")).toBe(true);
  });

  it("covers the API's router as it is set up: tRPC's default SSE options, which the writer follows", () => {
    // No pings, no maximum duration and no client reconnect hint: `connected` carries `{}`. Options
    // set here would change tRPC's stream in ways the writer does not follow.
    expect(appRouter._def._config.sse).toBeUndefined();
    expect(router._def._config.sse).toBeUndefined();
  });
});
