import { type Principal, requireAdmin } from "@sluice/core";
import { initTRPC, TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import superjson from "superjson";
import { errorBody, toPublicError, trpcCodeOf } from "../errors/publicError.ts";
import { currentRequestId } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";

/** What every procedure can reach. */
export interface ApiContext extends ApiServices {
  requestId: string;
  /** The bearer token the request sent, checked by authenticated procedures. */
  apiKey: string | undefined;
  /** The `X-Sluice-User` header, which names the end user over an input's `user`. */
  endUserHeader?: string | string[] | undefined;
}

const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx }) {
    const pub = toPublicError(error);
    const body = errorBody(pub, ctx?.requestId ?? currentRequestId() ?? "unknown");
    // The tRPC code agrees with the status: tRPC's own where it gives that status (413 for a body
    // too large), else the public code's. Errors a stream throws reach here unmapped by `mapErrors`.
    const trpc = getHTTPStatusCodeFromError(error) === pub.status ? error.code : trpcCodeOf(pub.code);
    // tRPC adds the stack trace outside production; callers never see internals.
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      code: TRPC_ERROR_CODES_BY_KEY[trpc],
      message: pub.message,
      data: { ...data, code: trpc, httpStatus: pub.status, ...body },
    };
  },
});

export const router = t.router;

// What a procedure threw reaches here wrapped by tRPC, with the thrown error as cause: it gets the
// tRPC code of its public error (the formatter sets the HTTP status). Errors tRPC raises itself
// without a cause (a body too large) keep their code.
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok || result.error.cause === undefined) return result;
  const pub = toPublicError(result.error);
  const code = trpcCodeOf(pub.code);
  if (code === result.error.code) return result;
  throw new TRPCError({ code, message: pub.message, cause: result.error.cause });
});

/** No authentication. */
export const publicProcedure = t.procedure.use(mapErrors);

/** Needs a valid API key; `ctx.principal` is its tenant and role. */
export const tenantProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const principal: Principal = await ctx.auth.authenticate(ctx.apiKey);
  return next({ ctx: { ...ctx, principal } });
});

/** Needs an admin API key. */
export const adminProcedure = tenantProcedure.use(async ({ ctx, next }) => {
  requireAdmin(ctx.principal);
  return next();
});
