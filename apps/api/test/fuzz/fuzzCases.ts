import fc from "fast-check";
import type { FuzzRequest } from "./fuzzHttp.ts";
import type { ProcedureTarget, RestTarget } from "./fuzzTargets.ts";
import { bigString, hostileMeta, hostileString, hostileValue, openValue } from "./hostileValues.ts";
import {
  mutatedSomewhere,
  perturbedLeaf,
  truncatedBody,
  withoutAField,
  withUnknownField,
} from "./mutations.ts";
import { type DomainHints, inputJsonSchema, schemaArbitrary } from "./schemaArbitrary.ts";

/** What case generators need from the running API. */
export interface FuzzContext {
  hints: DomainHints;
  /**
   * Narrower schemas to shape inputs by, per procedure path or `METHOD /route` (a job kind with its
   * own payload, say), so generated inputs get past the outer parser more often.
   */
  shapes: Record<string, unknown>;
  /** The key a caller is meant to use (admin for admin procedures), and a tenant key. */
  adminKey: string;
  tenantKey: string;
}

/** Percent-encodes any string, lone surrogates included (they become U+FFFD). */
const encode = (s: string) => encodeURIComponent(s.toWellFormed());

/**
 * Where to cut a body short, now and then (truncated JSON): one case in 8. (`fc.option`'s `freq` is
 * how rarely it gives nil, so `fc.option(fc.nat(), { freq: 8 })` cut 7 bodies in 8.)
 */
const cutAt = fc.oneof({ arbitrary: fc.constant(undefined), weight: 7 }, { arbitrary: fc.nat(), weight: 1 });

const OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/** Printable ASCII only: fetch refuses other header values before anything is sent. */
const headerText = fc
  .string({ unit: "binary-ascii", maxLength: 60 })
  .map((s) => s.replace(/[^\x20-\x7e]/g, ""));

/** The Authorization header: mostly the right key, sometimes none, a wrong one or a malformed one. */
function authorization(primary: string, other: string): fc.Arbitrary<Record<string, string>> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return fc.oneof(
    { arbitrary: fc.constant(bearer(primary)), weight: 12 },
    { arbitrary: fc.constant(bearer(other)), weight: 1 },
    { arbitrary: fc.constant({}), weight: 1 },
    { arbitrary: fc.constant(bearer(`${primary}x`)), weight: 1 },
    { arbitrary: fc.constant(bearer("sk-sluice-00000000000000000000000000000000")), weight: 1 },
    { arbitrary: headerText.map((t) => ({ authorization: t })), weight: 1 },
    { arbitrary: headerText.map((t) => bearer(t)), weight: 1 },
    { arbitrary: fc.constant(bearer(bigString(6_000))), weight: 1 },
  );
}

/** Extra headers: request ids and resume ids, well-formed or not. */
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 6 },
  { arbitrary: headerText.map((v) => ({ "x-request-id": v })), weight: 1 },
  { arbitrary: headerText.map((v) => ({ "last-event-id": v })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom("-1", "1e400", "NaN", "0x1", "9".repeat(40))
      .map((v) => ({ "last-event-id": v })),
    weight: 1,
  },
);

/** Inputs shaped like a parser's schema when there is one, else any hostile value. */
export function shapedInput(parser: unknown, ctx: FuzzContext, large: boolean): fc.Arbitrary<unknown> {
  const schema = inputJsonSchema(parser);
  return schema ? schemaArbitrary(schema, ctx.hints, openValue) : hostileValue({ large });
}

/** Inputs for one parser: shaped, shaped and then broken, or plain hostile. */
export function fuzzedInput(parser: unknown, ctx: FuzzContext, large: boolean): fc.Arbitrary<unknown> {
  const hostile = hostileValue({ large });
  const shaped = shapedInput(parser, ctx, large);
  return fc.oneof(
    { arbitrary: shaped, weight: 4 },
    { arbitrary: perturbedLeaf(shaped), weight: 5 },
    { arbitrary: mutatedSomewhere(shaped, hostile), weight: 3 },
    { arbitrary: hostile, weight: 3 },
    { arbitrary: withUnknownField(shaped, hostile), weight: 1 },
    { arbitrary: withoutAField(shaped), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/** The superjson wrapper, with hostile `meta` now and then, or missing. */
function wrapped(input: unknown): fc.Arbitrary<unknown> {
  if (input === undefined) return fc.constantFrom(undefined, { json: null }, {});
  return fc.oneof(
    { arbitrary: fc.constant({ json: input }), weight: 10 },
    { arbitrary: hostileMeta.map((meta) => ({ json: input, meta })), weight: 1 },
    { arbitrary: fc.constant(input), weight: 1 },
  );
}

/** How a procedure is called over HTTP: queries and subscriptions by GET, mutations by POST. */
function methodOf(target: ProcedureTarget): string {
  return target.type === "mutation" ? "POST" : "GET";
}

/** One tRPC call over raw HTTP, input encoded the way the method carries it. */
export function trpcRequest(path: string, method: string, payload: unknown, headers: Record<string, string>) {
  const query = payload === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(payload))}`;
  if (method === "GET" || method === "HEAD") return { method, path: `/trpc/${path}${query}`, headers };
  return {
    method,
    path: `/trpc/${path}`,
    headers: { "content-type": "application/json", ...headers },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  };
}

/** Fuzzed calls of one procedure: inputs, wrappers, keys, headers and now and then the wrong method. */
export function procedureRequests(target: ProcedureTarget, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const primary = target.admin ? ctx.adminKey : ctx.tenantKey;
  const other = target.admin ? ctx.tenantKey : ctx.adminKey;
  const method = fc.oneof(
    { arbitrary: fc.constant(methodOf(target)), weight: 12 },
    { arbitrary: fc.constantFrom(...OTHER_METHODS), weight: 1 },
  );
  return method.chain((m) => {
    // URLs stay under the server's header limit; bodies may go past the body limit.
    const input = fuzzedInput(ctx.shapes[target.path] ?? target.parser, ctx, m !== "GET" && m !== "HEAD");
    return fc
      .tuple(input.chain(wrapped), authorization(primary, other), extraHeaders, cutAt)
      .map(([payload, auth, extra, cut]) =>
        truncatedBody(trpcRequest(target.path, m, payload, { ...auth, ...extra }), cut),
      );
  });
}

/** Several procedures in one batched call, some of them unknown. */
export function batchRequests(targets: ProcedureTarget[], ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const paths = fc.constantFrom(...targets.map((t) => t.path), "nope", "jobs", "", "__proto__");
  return fc
    .tuple(
      fc.array(paths, { minLength: 1, maxLength: 4 }),
      fc.array(hostileValue({ large: false }), { maxLength: 4 }),
      fc.constantFrom("GET", "POST"),
      authorization(ctx.tenantKey, ctx.adminKey),
    )
    .map(([ps, inputs, method, auth]) => {
      const batch = Object.fromEntries(inputs.map((v, i) => [String(i), { json: v }]));
      const joined = ps.map(encode).join(",");
      if (method === "GET")
        return {
          method,
          path: `/trpc/${joined}?batch=1&input=${encodeURIComponent(JSON.stringify(batch))}`,
          headers: auth,
        };
      return {
        method,
        path: `/trpc/${joined}?batch=1`,
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify(batch),
      };
    });
}

/** Path ids: real rows (own and other tenants'), uuids of nothing, and strings no id looks like. */
function pathId(ctx: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...ctx.hints.ids), weight: 4 },
    { arbitrary: fc.uuid(), weight: 2 },
    { arbitrary: hostileString.map(encode), weight: 2 },
    { arbitrary: fc.constantFrom("%ZZ", "%E0%A4%A", "%FF", "%00", "..", "%2e%2e", "stats", "-1"), weight: 1 },
    { arbitrary: fc.constant(bigString(2_000)), weight: 1 },
  );
}

const QUERY_KEYS = ["limit", "cursor", "status", "kind", "after", "lastEventId", "input", "stream"];

/** A query string: known and random keys, repeated keys, hostile values, raw and encoded. */
const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(
        hostileString,
        fc.integer().map(String),
        fc.constantFrom("0", "-1", "1e9", "NaN", "[]", "%ZZ", "%E0%A4%A"),
      ),
      fc.boolean(),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    if (pairs.length === 0) return "";
    const encoded = pairs.map(([k, v, raw]) =>
      raw
        ? `${k.replace(/[#&=\s]/g, "")}=${v.toWellFormed().replace(/[#&\s]/g, "")}`
        : `${encode(k)}=${encode(v)}`,
    );
    return `?${encoded.join("&")}`;
  });

/** JSONL bodies: shaped lines mixed with broken ones. */
function jsonlBody(line: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const text = fc.oneof(
    { arbitrary: line.map((v) => JSON.stringify(v) ?? ""), weight: 3 },
    { arbitrary: hostileString, weight: 1 },
    { arbitrary: fc.constantFrom("", "{", "[]", "null", '{"custom_id":'), weight: 1 },
  );
  return fc.array(text, { minLength: 1, maxLength: 5 }).map((lines) => lines.join("\n"));
}

/**
 * Fuzzed calls of one REST route: path ids, query strings, bodies (shaped when the context has a
 * shape for the route), keys, and now and then the wrong method.
 */
export function restRequests(route: RestTarget, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const bodyParser = ctx.shapes[`${route.method} ${route.path}`];
  const lineParser = ctx.shapes[`${route.method} ${route.path} line`];
  const method = fc.oneof(
    { arbitrary: fc.constant(route.method), weight: 12 },
    { arbitrary: fc.constantFrom(...OTHER_METHODS), weight: 1 },
  );
  const ids = route.path.includes(":") ? pathId(ctx) : fc.constant("");
  const jsonBody = fuzzedInput(bodyParser, ctx, true).map((v) => ({
    headers: { "content-type": "application/json" },
    body: v === undefined ? undefined : JSON.stringify(v),
  }));
  const body = lineParser
    ? fc.oneof(
        jsonBody,
        jsonlBody(fuzzedInput(lineParser, ctx, false)).map((text) => ({
          headers: { "content-type": "application/jsonl" },
          body: text as string | undefined,
        })),
      )
    : jsonBody;
  return fc
    .tuple(method, ids, queryString, body, authorization(ctx.tenantKey, ctx.adminKey), extraHeaders, cutAt)
    .map(([m, id, query, b, auth, extra, cut]): FuzzRequest => {
      const path = route.path.replace(/:[A-Za-z]+/g, id) + query;
      if (m === "GET" || m === "HEAD" || b.body === undefined)
        return { method: m, path, headers: { ...auth, ...extra } };
      return truncatedBody(
        { method: m, path, headers: { ...b.headers, ...auth, ...extra }, body: b.body },
        cut,
      );
    });
}
