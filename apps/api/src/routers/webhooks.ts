import { generateWebhookSecret, SluiceError, webhookUrlSchema } from "@sluice/core";
import { ensureTenantWebhookSecret, findTenantById, setTenantWebhook } from "@sluice/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { tenantProcedure } from "../trpc/init.ts";

/** `webhooks.*`: where the tenant's job events are posted, and the secret that signs them. */
export const webhooksRouter = {
  /** The endpoint and signing secret (verify `sluice-signature` with it; see docs/api.md). */
  get: tenantProcedure.query(async ({ ctx }) => {
    const tenantId = ctx.principal.tenant.id;
    const secret = await ensureTenantWebhookSecret(ctx.db, tenantId, generateWebhookSecret());
    const tenant = await findTenantById(ctx.db, tenantId);
    return { url: tenant?.webhookUrl ?? null, secret };
  }),
  /** Sets (or with `url: null` clears) the endpoint; `rotateSecret` replaces the signing secret. */
  set: tenantProcedure
    .input(
      z.strictObject({
        url: webhookUrlSchema.nullable(),
        rotateSecret: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const tenantId = ctx.principal.tenant.id;
      const tenant = await setTenantWebhook(ctx.db, tenantId, {
        url: input.url,
        ...(input.rotateSecret ? { secret: generateWebhookSecret() } : {}),
      });
      if (!tenant) throw new SluiceError("not_found", "tenant not found");
      const secret = await ensureTenantWebhookSecret(ctx.db, tenantId, generateWebhookSecret());
      ctx.auth.forgetTenant(tenantId);
      return { url: tenant.webhookUrl, secret };
    }),
} satisfies TRPCRouterRecord;
