import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ErrorCode, errorCodes, SluiceError } from "@sluice/core";
import { useTestDatabase } from "@sluice/db/testing";
import { TRPCError } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import express from "express";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { errorTransport, httpStatusOf, toPublicError, trpcCodeOf } from "../src/errors/publicError.ts";
import { noRoute, restErrorHandler } from "../src/http/errorHandlers.ts";
import { requestIdMiddleware, requestIdOf } from "../src/http/requestId.ts";
import { type ApiContext, publicProcedure, router } from "../src/trpc/init.ts";
import { subscriptionStreams } from "../src/trpc/subscriptionStreams.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

const CODES = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

/** The documented mapping, written out: a change to the table must change this too. */
const EXPECTED: Record<ErrorCode, [number, TRPCError["code"]]> = {
  validation_error: [400, "BAD_REQUEST"],
  unauthorized: [401, "UNAUTHORIZED"],
  key_expired: [401, "UNAUTHORIZED"],
  key_rotated: [401, "UNAUTHORIZED"],
  forbidden: [403, "FORBIDDEN"],
  model_not_allowed: [403, "FORBIDDEN"],
  not_found: [404, "NOT_FOUND"],
  conflict: [409, "CONFLICT"],
  unsafe_url: [400, "BAD_REQUEST"],
  rate_limit_exceeded: [429, "TOO_MANY_REQUESTS"],
  budget_exceeded: [402, "PAYMENT_REQUIRED"],
  context_length_exceeded: [400, "BAD_REQUEST"],
  content_filtered: [422, "UNPROCESSABLE_CONTENT"],
  model_error: [502, "BAD_GATEWAY"],
  timeout: [504, "GATEWAY_TIMEOUT"],
  service_unavailable: [503, "SERVICE_UNAVAILABLE"],
  internal_error: [500, "INTERNAL_SERVER_ERROR"],
};

/** What an error answer says, REST body or tRPC error data alike. */
interface Answer {
  status: number;
  body: { error: { code: string; message: string; details?: unknown }; request_id: string };
  trpcCode?: string;
}

async function restAnswer(res: Response): Promise<Answer> {
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

async function trpcAnswer(res: Response): Promise<Answer> {
  const json = (await res.json()) as {
    error: { json: { data: Answer["body"] & { code: string; httpStatus: number } } };
  };
  const { error, request_id, code, httpStatus } = json.error.json.data;
  expect(httpStatus).toBe(res.status);
  return { status: res.status, body: { error, request_id }, trpcCode: code };
}

const trpcInput = (input: unknown) => encodeURIComponent(JSON.stringify({ json: input }));

describe("the error mapping table", () => {
  it("gives every code one HTTP status and one tRPC code, as documented", () => {
    expect(Object.keys(errorTransport).sort()).toEqual([...CODES].sort());
    for (const code of CODES)
      expect([code, httpStatusOf(code), trpcCodeOf(code)]).toEqual([code, ...EXPECTED[code]]);
  });

  it("picks tRPC codes whose own HTTP status is the code's status, so tRPC clients agree", () => {
    for (const code of CODES) {
      const status = getHTTPStatusCodeFromError(new TRPCError({ code: trpcCodeOf(code) }));
      expect([code, status]).toEqual([code, httpStatusOf(code)]);
    }
  });

  it("turns a SluiceError of every code into its public error with the code's status", () => {
    for (const code of CODES) {
      const thrown = new SluiceError(code, `failed with ${code}`, { details: { code }, retryAfterMs: 1500 });
      expect(toPublicError(thrown)).toEqual({
        status: EXPECTED[code][0],
        code,
        message: `failed with ${code}`,
        details: { code },
        retryAfterMs: 1500,
      });
    }
  });
});

describe("a SluiceError of every code, thrown in a procedure, a stream and a REST route", () => {
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // The API's own middleware, formatter and REST handler around handlers that only throw.
    const byCode = publicProcedure.input(z.object({ code: z.enum(CODES) }));
    const thrower = router({
      fail: byCode.query(({ input }) => {
        throw new SluiceError(input.code, `failed with ${input.code}`, { details: { code: input.code } });
      }),
      // Thrown after the stream started: tRPC hands it to the formatter without the middleware.
      failLater: byCode.subscription(async function* ({ input }) {
        yield "started";
        throw new SluiceError(input.code, `failed with ${input.code}`, { details: { code: input.code } });
      }),
    });
    // The formatter reads only the request id; these procedures reach no service.
    const createContext = (req: express.Request) =>
      ({ requestId: requestIdOf(req), apiKey: undefined }) as ApiContext;
    const app = express();
    app.use(requestIdMiddleware);
    app.use(
      "/trpc",
      subscriptionStreams({ router: thrower, createContext }),
      createExpressMiddleware({ router: thrower, createContext: ({ req }) => createContext(req) }),
    );
    app.get("/rest/:code", (req) => {
      const code = req.params.code as ErrorCode;
      throw new SluiceError(code, `failed with ${code}`, { details: { code } });
    });
    app.use(noRoute);
    app.use(restErrorHandler(pino({ level: "silent" })));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close?.());

  it("answers the same status and envelope over both, with the code's tRPC code", async () => {
    for (const code of CODES) {
      const headers = { "x-request-id": `map-${code}` };
      const rest = await restAnswer(await fetch(`${url}/rest/${code}`, { headers }));
      const trpc = await trpcAnswer(
        await fetch(`${url}/trpc/fail?input=${trpcInput({ code })}`, { headers }),
      );
      const envelope = {
        error: { code, message: `failed with ${code}`, details: { code } },
        request_id: `map-${code}`,
      };
      expect(rest).toEqual({ status: EXPECTED[code][0], body: envelope });
      expect(trpc).toEqual({ status: EXPECTED[code][0], body: envelope, trpcCode: EXPECTED[code][1] });
    }
  });

  it("ends a stream with the same envelope, status and tRPC code", async () => {
    for (const code of CODES) {
      const res = await fetch(`${url}/trpc/failLater?input=${trpcInput({ code })}`, {
        headers: { "x-request-id": `stream-${code}` },
      });
      const text = await res.text();
      const frame = /event: serialized-error\ndata: (.*)\n/.exec(text)?.[1];
      const shape = (
        JSON.parse(frame ?? "{}") as { json?: { code?: number; data?: Record<string, unknown> } }
      ).json;
      expect([code, shape?.code]).toEqual([code, TRPC_ERROR_CODES_BY_KEY[EXPECTED[code][1]]]);
      expect(shape?.data).toMatchObject({
        code: EXPECTED[code][1],
        httpStatus: EXPECTED[code][0],
        error: { code, message: `failed with ${code}`, details: { code } },
        request_id: `stream-${code}`,
      });
    }
  });
});

describe("the real API, over tRPC and REST", () => {
  const t = useTestDatabase();
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(t);
  });
  afterAll(() => api?.close());

  const auth = (key: string | undefined) => ({
    "content-type": "application/json",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  });
  const rest = async (method: string, path: string, key: string | undefined, body?: string) =>
    restAnswer(await fetch(`${api.url}${path}`, { method, headers: auth(key), ...(body ? { body } : {}) }));
  const query = async (path: string, key: string | undefined, input: unknown) =>
    trpcAnswer(await fetch(`${api.url}/trpc/${path}?input=${trpcInput(input)}`, { headers: auth(key) }));
  const mutate = async (path: string, key: string | undefined, body: string) =>
    trpcAnswer(await fetch(`${api.url}/trpc/${path}`, { method: "POST", headers: auth(key), body }));

  /** Both answers carry `code` with one status, the code's own unless `status` says otherwise. */
  function expectSame(code: ErrorCode, restSide: Answer, trpcSide: Answer, status = httpStatusOf(code)) {
    expect([restSide.status, restSide.body.error.code]).toEqual([status, code]);
    expect([trpcSide.status, trpcSide.body.error.code]).toEqual([status, code]);
    expect(trpcSide.body.error.message).toBe(restSide.body.error.message);
  }

  it("gives the same status for a missing key, an unknown job and an unknown job kind", async () => {
    const id = randomUUID();
    expectSame(
      "unauthorized",
      await rest("GET", `/v1/jobs/${id}`, undefined),
      await query("jobs.get", undefined, { id }),
    );
    expectSame(
      "not_found",
      await rest("GET", `/v1/jobs/${id}`, api.a.key),
      await query("jobs.get", api.a.key, { id }),
    );
    const unknownKind = { kind: "no.such.kind", payload: {} };
    expectSame(
      "validation_error",
      await rest("POST", "/v1/jobs", api.a.key, JSON.stringify(unknownKind)),
      await mutate("jobs.enqueue", api.a.key, JSON.stringify({ json: unknownKind })),
    );
  });

  it("gives the same status for cancelling a job twice", async () => {
    const job = {
      kind: "chat.complete",
      payload: { request: { model: "sim-small", messages: [{ role: "user", content: "hi" }] } },
      // Far off, so the job is still queued when cancelled the first time.
      run_at: new Date(Date.now() + 3_600_000).toISOString(),
    };
    const created = await fetch(`${api.url}/v1/jobs`, {
      method: "POST",
      headers: auth(api.a.key),
      body: JSON.stringify(job),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    expect(
      (await fetch(`${api.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth(api.a.key) })).status,
    ).toBe(200);
    expectSame(
      "conflict",
      await rest("DELETE", `/v1/jobs/${id}`, api.a.key),
      await mutate("jobs.cancel", api.a.key, JSON.stringify({ json: { id } })),
    );
  });

  it("answers a body over the limit with 413 and one message over both", async () => {
    const huge = { kind: "chat.complete", payload: { filler: "x".repeat(3 * 1024 * 1024) } };
    expectSame(
      "validation_error",
      await rest("POST", "/v1/jobs", api.a.key, JSON.stringify(huge)),
      await mutate("jobs.enqueue", api.a.key, JSON.stringify({ json: huge })),
      413,
    );
  });
});
