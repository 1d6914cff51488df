import {
  type ApiKeyRef,
  type Db,
  findApiKeyRefById,
  findApiKeyRefsByPrefixOrName,
  findTenantById,
  findTenantByName,
  type Tenant,
  tenantNamesLike,
} from "@sluice/db";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";

const uuid = z.uuid();
/** How many matches an ambiguous key reference lists. */
const SHOWN_MATCHES = 10;

/**
 * The tenant an admin means: the one with this id when `ref` is a uuid, else the one with exactly this
 * name (disabled tenants too). Otherwise `not_found`, naming what was typed and tenants with similar names.
 */
export async function resolveTenant(db: Db, ref: string): Promise<Tenant> {
  const text = ref.trim();
  const byId = uuid.safeParse(text).success ? await findTenantById(db, text) : undefined;
  const tenant = byId ?? (await findTenantByName(db, text));
  if (tenant) return tenant;
  const similar = text === "" ? [] : await tenantNamesLike(db, text, 5);
  const hint = similar.length > 0 ? `; did you mean ${similar.map((n) => `"${n}"`).join(", ")}?` : "";
  throw new SluiceError("not_found", `no tenant has the id or name "${text}"${hint}`, {
    details: { ref: text, similar },
  });
}

function describeKey(key: ApiKeyRef): string {
  const name = key.name ? ` "${key.name}"` : "";
  const revoked = key.revokedAt ? ", revoked" : "";
  return `${key.keyPrefix}${name} (tenant ${key.tenantName}${revoked}, id ${key.id})`;
}

/**
 * The API key an admin means: the one with this id when `ref` is a uuid, else the one whose prefix (as
 * `sluice keys list` shows it, `slk_` optional) starts with `ref` or whose name is `ref`, within one tenant
 * when given. A key whose whole prefix is `ref` wins; among several matches live keys win over revoked
 * ones. Several left is a `validation_error` listing them; none is `not_found` naming what was typed.
 */
export async function resolveApiKey(
  db: Db,
  ref: string,
  options: { tenant?: string | undefined } = {},
): Promise<ApiKeyRef> {
  const text = ref.trim();
  const tenant = options.tenant === undefined ? undefined : await resolveTenant(db, options.tenant);
  const scope = { tenantId: tenant?.id };
  const where = tenant ? ` in tenant ${tenant.name}` : "";
  if (uuid.safeParse(text).success) {
    const key = await findApiKeyRefById(db, text, scope);
    if (key) return key;
  }
  const matches =
    text === "" ? [] : await findApiKeyRefsByPrefixOrName(db, text, { ...scope, limit: SHOWN_MATCHES + 1 });
  const exact = matches.filter((k) => k.keyPrefix === text || k.keyPrefix === `slk_${text}`);
  const live = matches.filter((k) => k.revokedAt === null);
  const candidates = exact.length === 1 ? exact : live.length > 0 ? live : matches;
  const [only] = candidates;
  if (only && candidates.length === 1) return only;
  if (!only) {
    throw new SluiceError("not_found", `no API key has the id, prefix or name "${text}"${where}`, {
      details: { ref: text },
    });
  }
  const count = candidates.length > SHOWN_MATCHES ? `more than ${SHOWN_MATCHES}` : `${candidates.length}`;
  const listed = candidates.slice(0, SHOWN_MATCHES).map(describeKey).join("; ");
  throw new SluiceError(
    "validation_error",
    `"${text}" matches ${count} API keys${where}: ${listed}; give more of the prefix, the key id, or its tenant`,
    { details: { ref: text, matches: candidates.slice(0, SHOWN_MATCHES).map((k) => k.id) } },
  );
}
