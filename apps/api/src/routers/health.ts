import type { TRPCRouterRecord } from "@trpc/server";
import { readiness } from "../http/healthRoutes.ts";
import { publicProcedure } from "../trpc/init.ts";

/** `health.*`: liveness and readiness for typed clients. */
export const healthRouter = {
  check: publicProcedure.query(async ({ ctx }) => {
    const result = await readiness(ctx.db);
    return {
      status: result.ready ? ("ready" as const) : ("not_ready" as const),
      checks: result.checks,
      requestId: ctx.requestId,
    };
  }),
} satisfies TRPCRouterRecord;
