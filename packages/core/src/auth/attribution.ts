import type { SpendPrincipal } from "../limits/spendPrincipal.ts";

/** What a model call's log row says of who made it: tenant, key and end user. */
export interface CallAttribution {
  tenantId: string;
  apiKeyId: string | null;
  endUser: string | null;
}

/** The call-log attribution of a principal. */
export function attributionOf(principal: SpendPrincipal): CallAttribution {
  return {
    tenantId: principal.tenant.id,
    apiKeyId: principal.apiKey?.id ?? null,
    endUser: principal.endUser ?? null,
  };
}
