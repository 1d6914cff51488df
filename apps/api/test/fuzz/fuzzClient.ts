import { type FuzzContext, trpcRequest } from "./fuzzCases.ts";
import { assertHandled, type FuzzRequest, restSurfaceOf, send } from "./fuzzHttp.ts";
import { procedureTargets } from "./fuzzTargets.ts";

/** A tRPC error's public part: `{ error: { code, message }, request_id }`. */
interface TrpcErrorData {
  error: { code: string };
  request_id: string;
}

/**
 * A client of the API under fuzz that checks every answer it gets (below 500, a 4xx in the error
 * envelope with the request id); what the API logged meanwhile goes into the failure.
 */
export function fuzzClient(baseUrl: string, ctx: FuzzContext, logged: readonly string[]) {
  const types = new Map(procedureTargets().map((p) => [p.path, p.type]));

  async function handled(request: FuzzRequest, surface: "trpc" | "rest", label = "") {
    const seen = logged.length;
    const outcome = await send(baseUrl, request);
    const log = logged.slice(seen).join("").slice(0, 2_000);
    const where = `${request.method} ${request.path.slice(0, 120)} ${label}`;
    const shape = surface === "rest" ? restSurfaceOf(request.path) : surface;
    assertHandled(outcome, shape, log ? `${where}\n  logged: ${log}` : where);
    return outcome;
  }

  return {
    handled,

    /** Sends a case that must be refused with a 4xx. */
    async refused(request: FuzzRequest, surface: "trpc" | "rest") {
      const outcome = await handled(request, surface);
      if (outcome.status < 400)
        throw new Error(`an invalid input was answered ${outcome.status}: ${outcome.body.slice(0, 300)}`);
    },

    /** Calls a procedure with the tenant key (or the admin key); returns the answer and its error. */
    async call(path: string, input: unknown, options: { admin?: boolean } = {}) {
      const key = options.admin ? ctx.adminKey : ctx.tenantKey;
      const method = types.get(path) === "mutation" ? "POST" : "GET";
      const request = trpcRequest(path, method, { json: input }, { authorization: `Bearer ${key}` });
      const outcome = await handled(request, "trpc");
      const body = JSON.parse(outcome.body) as { error?: { json: { data: TrpcErrorData } } };
      return { ...outcome, error: body.error?.json.data };
    },

    /** A REST request with the tenant key and a JSON body; returns the answer, parsed. */
    async rest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const outcome = await handled(
        {
          method,
          path,
          headers: {
            authorization: `Bearer ${ctx.tenantKey}`,
            "content-type": "application/json",
            ...headers,
          },
          ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
        },
        "rest",
      );
      const json = JSON.parse(outcome.body || "null") as { error?: { code: string }; request_id?: string };
      return { ...outcome, json };
    },
  };
}

/** The checking client of a fuzz run. */
export type FuzzClient = ReturnType<typeof fuzzClient>;
