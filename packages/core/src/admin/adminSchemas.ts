import { z } from "zod";
import { apiKeyPolicyShape } from "../auth/keyAdmin.ts";
import { tenantBudgetShape } from "../limits/budgetSchemas.ts";
import { boundedText, nullByteMessage, webhookUrlSchema } from "../schemas/textFields.ts";

/** Largest value of the Postgres `integer` columns the rate limits live in. */
const MAX_INT4 = 2_147_483_647;

/** A tenant's limits; null clears one (unlimited), absent leaves it as it is. */
export const tenantLimitsShape = {
  dailyBudgetMicros: z.int().min(0).nullable().optional(),
  ...tenantBudgetShape,
  rateLimitRpm: z.int().min(1).max(MAX_INT4).nullable().optional(),
  rateLimitTpm: z.int().min(1).max(MAX_INT4).nullable().optional(),
};

/** Input of tenant creation: a unique name and optional limits. */
export const createTenantInputSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => !v.includes("\u0000"), nullByteMessage),
  ...tenantLimitsShape,
});

/** Input of a tenant's limits change. */
export const setTenantLimitsInputSchema = z.strictObject({ id: z.uuid(), ...tenantLimitsShape });

/** What an admin types for a tenant (its id or name) or a key (its id, prefix or name). */
export const adminRefSchema = boundedText(200).transform((value) => value.trim());

/** Input of a tenant lookup by id or name. */
export const findTenantInputSchema = z.strictObject({ ref: adminRefSchema });

/** Input of a key lookup by id, prefix or name, optionally within a tenant (by id or name). */
export const findApiKeyInputSchema = z.strictObject({
  ref: adminRefSchema,
  tenant: adminRefSchema.optional(),
});

/** Input of API key creation; the role defaults to `tenant`. */
export const createApiKeyInputSchema = z.strictObject({
  tenantId: z.uuid(),
  role: z.enum(["tenant", "admin"]).default("tenant"),
  name: boundedText(100, 0).optional(),
  ...apiKeyPolicyShape,
});

/** Input of a tenant's webhook change: `url: null` clears it; `rotateSecret` replaces the secret. */
export const setWebhookInputSchema = z.strictObject({
  url: webhookUrlSchema.nullable(),
  rotateSecret: z.boolean().optional(),
});

/** A parsed tenant creation. */
export type CreateTenantInput = z.output<typeof createTenantInputSchema>;
/** Parsed limits (without the tenant id). */
export type TenantLimitsInput = Omit<z.output<typeof setTenantLimitsInputSchema>, "id">;
/** A parsed API key creation. */
export type CreateApiKeyInput = z.output<typeof createApiKeyInputSchema>;
/** A parsed webhook change. */
export type SetWebhookInput = z.output<typeof setWebhookInputSchema>;
