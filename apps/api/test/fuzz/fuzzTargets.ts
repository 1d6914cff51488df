import type { Express } from "express";
import { appRouter } from "../../src/root.ts";
import { adminProcedure } from "../../src/trpc/init.ts";

/** A tRPC procedure as the fuzzer sees it. */
export interface ProcedureTarget {
  path: string;
  type: "query" | "mutation" | "subscription";
  /** Needs an admin key. */
  admin: boolean;
  /** The input parser (a zod schema), when the procedure takes input. */
  parser: unknown;
}

/** A REST route: method and Express path (`/v1/jobs/:id`). */
export interface RestTarget {
  method: string;
  path: string;
}

/** What tRPC keeps on a built procedure; not in its public types. */
interface ProcedureDef {
  type: ProcedureTarget["type"];
  inputs: unknown[];
  middlewares: unknown[];
}

// Admin procedures are built on `adminProcedure`, so they carry its last middleware (the role check).
const adminCheck = (adminProcedure as unknown as { _def: ProcedureDef })._def.middlewares.at(-1);

/** Every procedure of the app router, read from the router itself so new ones are fuzzed too. */
export function procedureTargets(): ProcedureTarget[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>;
  return Object.entries(procedures).map(([path, procedure]) => ({
    path,
    type: procedure._def.type,
    admin: procedure._def.middlewares.includes(adminCheck),
    parser: procedure._def.inputs[0],
  }));
}

/** What Express keeps on its router stack; not in its public types. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route the app serves outside `/trpc`, read from its router stack (routers are mounted at `/`). */
export function restTargets(app: Express): RestTarget[] {
  const walk = (stack: Layer[]): RestTarget[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        const { path, methods } = layer.route;
        return Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path }));
      }
      return layer.handle?.stack ? walk(layer.handle.stack) : [];
    });
  const root = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  return walk(root);
}
