import { type Principal, requireAdmin, SluiceError } from "@sluice/core";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { errorBody, toPublicError } from "../errors/publicError.ts";
import { currentRequestId } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";

/** What every procedure can reach. */
export interface ApiContext extends ApiServices {
  requestId: string;
  /** The bearer token the request sent, checked by authenticated procedures. */
  apiKey: string | undefined;
}

const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx }) {
    const pub = toPublicError(error);
    const body = errorBody(pub, ctx?.requestId ?? currentRequestId() ?? "unknown");
    // tRPC adds the stack trace outside production; callers never see internals.
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message: pub.message, data: { ...data, httpStatus: pub.status, ...body } };
  },
});

export const router = t.router;

// SluiceErrors become TRPCErrors with the right code, so HTTP statuses are right too.
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof SluiceError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.trpcCode, message: cause.message, cause });
  }
  return result;
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
