import { boundedText, createApiKey, nullByteMessage, SluiceError } from "@sluice/core";
import {
  disableTenant,
  enableTenant,
  insertTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
  type Tenant,
  updateTenantLimits,
} from "@sluice/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { adminProcedure } from "../trpc/init.ts";

/** Largest value of the Postgres `integer` columns the rate limits live in. */
const MAX_INT4 = 2_147_483_647;

const limits = {
  dailyBudgetMicros: z.int().min(0).nullable().optional(),
  rateLimitRpm: z.int().min(1).max(MAX_INT4).nullable().optional(),
  rateLimitTpm: z.int().min(1).max(MAX_INT4).nullable().optional(),
};

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new SluiceError("not_found", `${what} not found`);
  return value;
}

/** A tenant as admins see it: the webhook signing secret never leaves through listings. */
function publicTenant({ webhookSecret: _secret, ...tenant }: Tenant) {
  return tenant;
}

/** `tenants.*` (admin): create, list, disable, enable, set limits. */
export const tenantsRouter = {
  create: adminProcedure
    .input(
      z.strictObject({
        name: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .refine((v) => !v.includes("\u0000"), nullByteMessage),
        ...limits,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        return publicTenant(await insertTenant(ctx.db, input));
      } catch (error) {
        if (String(error).includes("tenants_name_key"))
          throw new SluiceError("conflict", `a tenant named "${input.name}" exists`);
        throw error;
      }
    }),
  list: adminProcedure
    .input(z.strictObject({ includeDisabled: z.boolean().optional() }).optional())
    .query(async ({ ctx, input }) =>
      (await listTenants(ctx.db, { includeDisabled: input?.includeDisabled ?? false })).map(publicTenant),
    ),
  disable: adminProcedure.input(z.strictObject({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const tenant = found(await disableTenant(ctx.db, input.id), "tenant");
    ctx.auth.forgetTenant(input.id);
    return publicTenant(tenant);
  }),
  enable: adminProcedure
    .input(z.strictObject({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => publicTenant(found(await enableTenant(ctx.db, input.id), "tenant"))),
  setLimits: adminProcedure
    .input(z.strictObject({ id: z.uuid(), ...limits }))
    .mutation(async ({ ctx, input: { id, ...rest } }) => {
      const tenant = found(await updateTenantLimits(ctx.db, id, rest), "tenant");
      ctx.auth.forgetTenant(id);
      return publicTenant(tenant);
    }),
} satisfies TRPCRouterRecord;

/** `apiKeys.*` (admin): create (plaintext shown once), list, revoke. */
export const apiKeysRouter = {
  create: adminProcedure
    .input(
      z.strictObject({
        tenantId: z.uuid(),
        role: z.enum(["tenant", "admin"]).default("tenant"),
        name: boundedText(100, 0).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        return await createApiKey(ctx.db, {
          tenantId: input.tenantId,
          role: input.role,
          ...(input.name ? { name: input.name } : {}),
        });
      } catch (error) {
        if (String(error).includes("api_keys_tenant_id_fkey"))
          throw new SluiceError("not_found", `tenant ${input.tenantId} not found`);
        throw error;
      }
    }),
  list: adminProcedure
    .input(z.strictObject({ tenantId: z.uuid(), includeRevoked: z.boolean().optional() }))
    .query(({ ctx, input }) =>
      listApiKeys(ctx.db, input.tenantId, { includeRevoked: input.includeRevoked ?? false }),
    ),
  revoke: adminProcedure.input(z.strictObject({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const key = found(await revokeApiKey(ctx.db, input.id), "API key");
    ctx.auth.forgetKey(input.id);
    return key;
  }),
} satisfies TRPCRouterRecord;
