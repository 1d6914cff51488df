import {
  type ApiKeyRef,
  type ApiKeySummary,
  apiKeyConstraints,
  type Db,
  disableTenant,
  enableTenant,
  ensureTenantWebhookSecret,
  findTenantById,
  insertTenant,
  isConstraintError,
  listApiKeys,
  listTenants,
  revokeApiKey,
  setTenantWebhook,
  type Tenant,
  tenantConstraints,
  updateTenantLimits,
} from "@sluice/db";
import { createApiKey } from "../auth/apiKeys.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import { type RotateApiKeyInput, rotateKey, type UpdateApiKeyInput, updateKey } from "../auth/keyAdmin.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { generateWebhookSecret } from "../jobs/webhookSignature.ts";
import { createOutboundGuard, type OutboundGuard } from "../outbound/outboundGuard.ts";
import { resolveApiKey, resolveTenant } from "./adminLookup.ts";
import type {
  CreateApiKeyInput,
  CreateTenantInput,
  SetWebhookInput,
  TenantLimitsInput,
} from "./adminSchemas.ts";

/** A tenant as admins see it: the webhook signing secret never leaves through listings. */
export type PublicTenant = Omit<Tenant, "webhookSecret">;

/** A tenant's webhook endpoint and the secret that signs what is posted to it. */
export interface TenantWebhook {
  url: string | null;
  secret: string | null;
}

/** Administration of tenants, their API keys and their webhook: the rules every admin surface shares. */
export interface AdminService {
  /** Creates a tenant; a taken name is a `conflict`. */
  createTenant(input: CreateTenantInput): Promise<PublicTenant>;
  /** Tenants oldest first; disabled ones only when asked. */
  listTenants(options?: { includeDisabled?: boolean }): Promise<PublicTenant[]>;
  /** The tenant with this id, else with this name (disabled ones too); `not_found` when neither. */
  findTenant(idOrName: string): Promise<PublicTenant>;
  /**
   * The key with this id, else the one whose prefix starts with or whose name is `ref` (within a tenant,
   * by id or name, when given); several matches are a `validation_error` listing them.
   */
  findApiKey(ref: string, options?: { tenant?: string | undefined }): Promise<ApiKeyRef>;
  /** Disables a tenant: its keys stop authenticating at once in this process. */
  disableTenant(id: string): Promise<PublicTenant>;
  /** Re-enables a disabled tenant. */
  enableTenant(id: string): Promise<PublicTenant>;
  /** Changes the given limits only; cached principals of the tenant pick them up at once. */
  setTenantLimits(id: string, limits: TenantLimitsInput): Promise<PublicTenant>;
  /** Creates a key; its plaintext is returned this once and never stored. */
  createApiKey(input: CreateApiKeyInput): Promise<{ key: ApiKeySummary; plaintext: string }>;
  /** A tenant's keys, newest first; revoked ones only when asked. */
  listApiKeys(tenantId: string, options?: { includeRevoked?: boolean }): Promise<ApiKeySummary[]>;
  /** Revokes a key (idempotent); it stops authenticating at once in this process. */
  revokeApiKey(id: string): Promise<ApiKeySummary>;
  /** Changes a key's name, limits, models, expiry or metadata; at once here, within 5 s elsewhere. */
  updateApiKey(input: UpdateApiKeyInput): Promise<ApiKeySummary>;
  /** A new secret for a key (shown once); the old one works for the grace, then `key_rotated`. */
  rotateApiKey(input: RotateApiKeyInput): Promise<{ key: ApiKeySummary; plaintext: string }>;
  /** The tenant's webhook endpoint and signing secret, giving the tenant a secret if it has none. */
  getWebhook(tenantId: string): Promise<TenantWebhook>;
  /** Sets or clears the tenant's endpoint, optionally replacing its signing secret. */
  setWebhook(tenantId: string, input: SetWebhookInput): Promise<TenantWebhook>;
}

/** What the admin service needs: the database and the authenticator whose cache it clears. */
export interface AdminServiceDeps {
  db: Db;
  auth: Pick<Authenticator, "forgetTenant" | "forgetKey">;
  /** Judges tenants' webhook URLs (public addresses only unless the settings allow private ones). */
  outbound?: OutboundGuard | undefined;
}

/** The tenant without its webhook secret. */
export function publicTenant({ webhookSecret: _secret, ...tenant }: Tenant): PublicTenant {
  return tenant;
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new SluiceError("not_found", `${what} not found`);
  return value;
}

/** Builds the admin service over a database and an authenticator. */
export function createAdminService({ db, auth, outbound }: AdminServiceDeps): AdminService {
  const guard = outbound ?? createOutboundGuard();
  return {
    async createTenant(input) {
      try {
        return publicTenant(await insertTenant(db, input));
      } catch (error) {
        if (isConstraintError(error, "unique_violation", tenantConstraints.uniqueName))
          throw new SluiceError("conflict", `a tenant named "${input.name}" exists`, { cause: error });
        throw error;
      }
    },

    async listTenants(options = {}) {
      return (await listTenants(db, { includeDisabled: options.includeDisabled ?? false })).map(publicTenant);
    },

    async findTenant(idOrName) {
      return publicTenant(await resolveTenant(db, idOrName));
    },

    findApiKey(ref, options = {}) {
      return resolveApiKey(db, ref, options);
    },

    async disableTenant(id) {
      const tenant = found(await disableTenant(db, id), "tenant");
      auth.forgetTenant(id);
      return publicTenant(tenant);
    },

    async enableTenant(id) {
      // Nothing to forget: failed lookups are never cached, so the tenant's keys work at once.
      return publicTenant(found(await enableTenant(db, id), "tenant"));
    },

    async setTenantLimits(id, limits) {
      const tenant = found(await updateTenantLimits(db, id, limits), "tenant");
      auth.forgetTenant(id);
      return publicTenant(tenant);
    },

    async createApiKey(input) {
      try {
        const { name, ...rest } = input;
        return await createApiKey(db, { ...rest, ...(name ? { name } : {}) });
      } catch (error) {
        if (isConstraintError(error, "foreign_key_violation", apiKeyConstraints.tenant))
          throw new SluiceError("not_found", `tenant ${input.tenantId} not found`, { cause: error });
        throw error;
      }
    },

    listApiKeys(tenantId, options = {}) {
      return listApiKeys(db, tenantId, { includeRevoked: options.includeRevoked ?? false });
    },

    updateApiKey: (input) => updateKey({ db, auth }, input),

    rotateApiKey: (input) => rotateKey({ db, auth }, input),

    async revokeApiKey(id) {
      const key = found(await revokeApiKey(db, id), "API key");
      auth.forgetKey(id);
      return key;
    },

    async getWebhook(tenantId) {
      const secret = await ensureTenantWebhookSecret(db, tenantId, generateWebhookSecret());
      const tenant = await findTenantById(db, tenantId);
      return { url: tenant?.webhookUrl ?? null, secret };
    },

    async setWebhook(tenantId, input) {
      if (input.url) await guard.assertAllowed(input.url, "url");
      const tenant = await setTenantWebhook(db, tenantId, {
        url: input.url,
        ...(input.rotateSecret ? { secret: generateWebhookSecret() } : {}),
      });
      if (!tenant) throw new SluiceError("not_found", "tenant not found");
      // A tenant that never had a secret gets one now, so what it is told to verify with exists.
      const secret = await ensureTenantWebhookSecret(db, tenantId, generateWebhookSecret());
      // Cached principals carry the tenant row, webhook included.
      auth.forgetTenant(tenantId);
      return { url: tenant.webhookUrl, secret };
    },
  };
}
