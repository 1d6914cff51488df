import type { Tenant } from "@sluice/db";
import { type ApiKeyPolicy, endUserOf } from "../auth/keyPolicy.ts";

/**
 * Who a paid call is charged to: always a tenant; the API key that made it, queued its job or
 * created its batch, when one did (admin tools act for the tenant alone); the end user the caller
 * named, when it named one. The rate limiter and the budget check every scope that is present and
 * has a limit.
 */
export interface SpendPrincipal {
  tenant: Tenant;
  /** The key and its own budgets (null or absent: none), checked besides the tenant's. */
  apiKey?: ApiKeyPolicy & {
    id: string;
    dailyBudgetMicros?: number | null;
    monthlyBudgetMicros?: number | null;
  };
  endUser?: string | undefined;
}

/**
 * `principal` with the end user a request's own field names (a chat job's `user`), unless one is
 * named already; a key pasted as the user or control characters → `validation_error`.
 */
export function withEndUserField(principal: SpendPrincipal, field: unknown): SpendPrincipal {
  if (principal.endUser !== undefined) return principal;
  const endUser = endUserOf(undefined, field);
  return endUser === undefined ? principal : { ...principal, endUser };
}

/** The principal of a call made for a tenant with no key (jobs, batches, admin tools). */
export function tenantPrincipal(tenant: Tenant): SpendPrincipal {
  return { tenant };
}

/** The principal of a call made with an API key (the authenticated caller of a transport). */
export function spendPrincipalOf(
  caller: { tenant: Tenant; key: NonNullable<SpendPrincipal["apiKey"]> },
  endUser?: string,
): SpendPrincipal {
  return { tenant: caller.tenant, apiKey: caller.key, ...(endUser === undefined ? {} : { endUser }) };
}
