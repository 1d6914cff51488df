import type { Db } from "@sluice/db";
import { initTRPC } from "@trpc/server";
import superjson from "superjson";

/** What every procedure can reach. */
export interface ApiContext {
  db: Db;
  requestId: string;
}

const t = initTRPC.context<ApiContext>().create({ transformer: superjson });

export const router = t.router;
export const publicProcedure = t.procedure;
