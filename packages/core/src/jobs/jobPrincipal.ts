import { type Db, findApiKeyById, findJob } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import { tenantForJob } from "./jobTenant.ts";

/**
 * Who a job's model calls are charged to: its tenant, and the API key that queued it, so the key's
 * own budgets and limits hold for its jobs as for its calls. A key revoked or expired since cannot
 * pay any more: the job fails for good (`unauthorized` / `key_expired`), it is not retried.
 */
export async function principalForJob(
  db: Db,
  job: { id: string; tenantId: string | null },
  now = Date.now(),
): Promise<SpendPrincipal> {
  const tenant = await tenantForJob(db, job.tenantId);
  const apiKeyId = (await findJob(db, job.id))?.apiKeyId;
  if (!apiKeyId) return { tenant };
  const key = await findApiKeyById(db, apiKeyId, { tenantId: tenant.id });
  if (!key || key.revokedAt)
    throw new SluiceError("unauthorized", "the API key that queued this job has been revoked", {
      retriable: false,
    });
  if (key.expiresAt && key.expiresAt.getTime() <= now)
    throw new SluiceError("key_expired", "the API key that queued this job has expired", {
      retriable: false,
    });
  return { tenant, apiKey: key };
}
