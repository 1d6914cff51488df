import type { Db } from "@sluice/db";
import { migrationStatus, pingDatabase } from "@sluice/db";
import { Router as createRouter, type Router } from "express";
import { errorBody, publicError } from "../errors/publicError.ts";
import { requestIdOf } from "./requestId.ts";

/** Readiness: the database answers and every migration is applied. */
export async function readiness(db: Db): Promise<{ ready: boolean; checks: Record<string, string> }> {
  try {
    await pingDatabase(db);
  } catch {
    return { ready: false, checks: { database: "unreachable" } };
  }
  const pending = (await migrationStatus(db)).filter((m) => m.executedAt === null).length;
  return {
    ready: pending === 0,
    checks: { database: "ok", migrations: pending === 0 ? "ok" : `${pending} pending` },
  };
}

/** `GET /healthz` (the process is alive) and `GET /readyz` (it can serve traffic). */
export function healthRoutes(db: Db): Router {
  const router = createRouter();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (req, res) => {
    const result = await readiness(db);
    if (result.ready) {
      res.json({ status: "ready", checks: result.checks });
      return;
    }
    const pub = publicError("service_unavailable", "not ready", { details: result.checks });
    res.status(pub.status).json(errorBody(pub, requestIdOf(req)));
  });
  return router;
}
