import { setWebhookInputSchema } from "@sluice/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { tenantProcedure } from "../trpc/init.ts";

/** `webhooks.*`: where the tenant's job events are posted, and the secret that signs them. */
export const webhooksRouter = {
  /** The endpoint and signing secret (verify `sluice-signature` with it; see docs/api.md). */
  get: tenantProcedure.query(({ ctx }) => ctx.admin.getWebhook(ctx.principal.tenant.id)),
  /** Sets (or with `url: null` clears) the endpoint; `rotateSecret` replaces the signing secret. */
  set: tenantProcedure
    .input(setWebhookInputSchema)
    .mutation(({ ctx, input }) => ctx.admin.setWebhook(ctx.principal.tenant.id, input)),
} satisfies TRPCRouterRecord;
