export { resolveApiKey, resolveTenant } from "./adminLookup.ts";
export {
  adminRefSchema,
  type CreateApiKeyInput,
  type CreateTenantInput,
  createApiKeyInputSchema,
  createTenantInputSchema,
  findApiKeyInputSchema,
  findTenantInputSchema,
  type SetWebhookInput,
  setTenantLimitsInputSchema,
  setWebhookInputSchema,
  type TenantLimitsInput,
  tenantLimitsShape,
} from "./adminSchemas.ts";
export {
  type AdminService,
  type AdminServiceDeps,
  createAdminService,
  type PublicTenant,
  publicTenant,
  type TenantWebhook,
} from "./adminService.ts";
