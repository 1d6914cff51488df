import { spendQuerySchema, spendTenantOf } from "@sluice/core";
import { Router } from "express";
import { bearerToken } from "../auth/bearerToken.ts";
import type { ApiServices } from "../services.ts";

/**
 * `GET /v1/spend?from=YYYY-MM-DD&to=YYYY-MM-DD&by=key,user,model,day`: spend grouped as asked, with
 * provider-batch spend and cache savings; a tenant key sees its own tenant's, an admin any (`tenant_id`).
 */
export function spendRoutes(services: ApiServices): Router {
  const router = Router();
  router.get("/v1/spend", async (req, res) => {
    const principal = await services.auth.authenticate(bearerToken(req.headers));
    const { tenant_id: tenantId, ...rest } = req.query;
    const query = spendQuerySchema.parse({ ...rest, ...(tenantId === undefined ? {} : { tenantId }) });
    const report = await services.stats.spend({
      ...query,
      tenantId: spendTenantOf(principal, query.tenantId),
    });
    res.json(report);
  });
  return router;
}
