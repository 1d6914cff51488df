import { apiClient, type RemoteOptions, remote } from "../remote/apiClient.ts";

/** Help text for an argument naming a tenant. */
export const TENANT_ARG = "tenant id or name";
/** Help text for an argument naming an API key. */
export const KEY_ARG = "key id, prefix (as `sluice keys list` shows it) or name";

/**
 * The tenant an admin typed, by id or name: the API resolves it (`tenants.find`), so an unknown one is
 * one `not_found` line naming what was typed, like every other failed call.
 */
export function resolveTenant(o: RemoteOptions, ref: string) {
  return remote(o, () => apiClient(o).tenants.find.query({ ref }));
}

/**
 * The API key an admin typed, by id, prefix or name, within a tenant (id or name) when given: the API
 * resolves it (`apiKeys.find`); several matches fail with one line listing them.
 */
export function resolveKey(o: RemoteOptions, ref: string, tenant?: string) {
  return remote(o, () =>
    apiClient(o).apiKeys.find.query({ ref, ...(tenant === undefined ? {} : { tenant }) }),
  );
}
