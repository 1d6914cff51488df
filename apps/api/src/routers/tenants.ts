import {
  createApiKeyInputSchema,
  createTenantInputSchema,
  findApiKeyInputSchema,
  findTenantInputSchema,
  rotateApiKeyInputSchema,
  setTenantLimitsInputSchema,
  updateApiKeyInputSchema,
} from "@sluice/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { adminProcedure } from "../trpc/init.ts";

const byId = z.strictObject({ id: z.uuid() });

/** `tenants.*` (admin): create, list, find (by id or name), disable, enable, set limits. */
export const tenantsRouter = {
  create: adminProcedure
    .input(createTenantInputSchema)
    .mutation(({ ctx, input }) => ctx.admin.createTenant(input)),
  list: adminProcedure
    .input(z.strictObject({ includeDisabled: z.boolean().optional() }).optional())
    .query(({ ctx, input }) => ctx.admin.listTenants({ includeDisabled: input?.includeDisabled ?? false })),
  find: adminProcedure
    .input(findTenantInputSchema)
    .query(({ ctx, input }) => ctx.admin.findTenant(input.ref)),
  disable: adminProcedure.input(byId).mutation(({ ctx, input }) => ctx.admin.disableTenant(input.id)),
  enable: adminProcedure.input(byId).mutation(({ ctx, input }) => ctx.admin.enableTenant(input.id)),
  setLimits: adminProcedure
    .input(setTenantLimitsInputSchema)
    .mutation(({ ctx, input: { id, ...limits } }) => ctx.admin.setTenantLimits(id, limits)),
} satisfies TRPCRouterRecord;

/** `apiKeys.*` (admin): create (plaintext shown once), list, find (by id, prefix or name), revoke. */
export const apiKeysRouter = {
  create: adminProcedure
    .input(createApiKeyInputSchema)
    .mutation(({ ctx, input }) => ctx.admin.createApiKey(input)),
  list: adminProcedure
    .input(z.strictObject({ tenantId: z.uuid(), includeRevoked: z.boolean().optional() }))
    .query(({ ctx, input }) =>
      ctx.admin.listApiKeys(input.tenantId, { includeRevoked: input.includeRevoked ?? false }),
    ),
  find: adminProcedure
    .input(findApiKeyInputSchema)
    .query(({ ctx, input }) => ctx.admin.findApiKey(input.ref, { tenant: input.tenant })),
  revoke: adminProcedure.input(byId).mutation(({ ctx, input }) => ctx.admin.revokeApiKey(input.id)),
  update: adminProcedure
    .input(updateApiKeyInputSchema)
    .mutation(({ ctx, input }) => ctx.admin.updateApiKey(input)),
  rotate: adminProcedure
    .input(rotateApiKeyInputSchema)
    .mutation(({ ctx, input }) => ctx.admin.rotateApiKey(input)),
} satisfies TRPCRouterRecord;
