export {
  type CreateApiKeyInput,
  type CreateTenantInput,
  createApiKeyInputSchema,
  createTenantInputSchema,
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
