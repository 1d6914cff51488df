import { type ApiKeySummary, type Db, findApiKeyById, updateApiKey } from "@sluice/db";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";
import { keyBudgetShape } from "../limits/budgetSchemas.ts";
import { storableDate } from "../schemas/dateFields.ts";
import { boundedText, jsonObjectSchema } from "../schemas/textFields.ts";
import { rotateApiKey } from "./apiKeys.ts";
import type { Authenticator } from "./authenticator.ts";

/** Largest value of the Postgres `integer` columns the rate limits live in. */
const MAX_INT4 = 2_147_483_647;
/** Largest key metadata, as JSON text. */
export const MAX_KEY_METADATA_BYTES = 4_096;
/** Longest rotation grace: the old secret is never valid for more than 30 days. */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 3600;

/** A model or cascade pattern: a model name in which `*` matches any characters. */
export const modelPatternSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9*][A-Za-z0-9._:/*-]{0,127}$/,
    "must be 1-128 characters of letters, digits, '.', '-', '_', ':', '/' or '*' (any characters)",
  );

/** A key's own limits and attributes; null clears one, absent leaves it as it is. */
export const apiKeyPolicyShape = {
  rateLimitRpm: z.int().min(1).max(MAX_INT4).nullable().optional(),
  rateLimitTpm: z.int().min(1).max(MAX_INT4).nullable().optional(),
  allowedModels: z.array(modelPatternSchema).min(1).max(100).nullable().optional(),
  expiresAt: storableDate().nullable().optional(),
  ...keyBudgetShape,
  metadata: jsonObjectSchema
    .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_KEY_METADATA_BYTES, {
      message: `must be at most ${MAX_KEY_METADATA_BYTES} bytes of JSON`,
    })
    .optional(),
};

/** Input of a key's change: its name and any of its limits and attributes. */
export const updateApiKeyInputSchema = z.strictObject({
  id: z.uuid(),
  name: boundedText(100, 0).optional(),
  ...apiKeyPolicyShape,
});

/** Input of a key's rotation: how long its old secret stays valid (default one hour). */
export const rotateApiKeyInputSchema = z.strictObject({
  id: z.uuid(),
  graceSeconds: z.int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(3_600),
});

/** A parsed key change. */
export type UpdateApiKeyInput = z.output<typeof updateApiKeyInputSchema>;
/** A parsed key rotation. */
export type RotateApiKeyInput = z.output<typeof rotateApiKeyInputSchema>;

/** What key administration needs: the database and the authenticator whose cache it clears. */
export interface KeyAdminDeps {
  db: Db;
  auth: Pick<Authenticator, "forgetKey">;
}

/**
 * Changes a key's limits, models, expiry, metadata or name; this process sees the change at once,
 * others within their key cache's lifetime (5 s).
 */
export async function updateKey(
  { db, auth }: KeyAdminDeps,
  input: UpdateApiKeyInput,
): Promise<ApiKeySummary> {
  const { id, ...fields } = input;
  const key = await updateApiKey(db, id, fields);
  if (!key) throw new SluiceError("not_found", "API key not found");
  auth.forgetKey(id);
  return key;
}

/**
 * Gives a live key a new secret (shown this once); the old one keeps working for `graceSeconds`,
 * then is refused with `key_rotated`.
 */
export async function rotateKey(
  { db, auth }: KeyAdminDeps,
  input: RotateApiKeyInput,
): Promise<{ key: ApiKeySummary; plaintext: string }> {
  const rotated = await rotateApiKey(db, input.id, input.graceSeconds * 1000);
  if (!rotated) {
    const key = await findApiKeyById(db, input.id);
    throw key
      ? new SluiceError("conflict", "a revoked API key cannot be rotated")
      : new SluiceError("not_found", "API key not found");
  }
  auth.forgetKey(input.id);
  return rotated;
}
