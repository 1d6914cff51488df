import { type Db, findTenantById, type Tenant } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";

/**
 * The tenant a job runs for. A job whose tenant no longer exists (`not_found`) or is disabled
 * (`forbidden`) cannot succeed by being tried again, so both errors are non-retriable: the job
 * goes straight to its dead letters.
 */
export async function tenantForJob(db: Db, tenantId: string | null | undefined): Promise<Tenant> {
  const tenant = tenantId ? await findTenantById(db, tenantId) : undefined;
  if (!tenant) throw new SluiceError("not_found", "the job's tenant no longer exists", { retriable: false });
  if (tenant.disabledAt)
    throw new SluiceError("forbidden", "the job's tenant is disabled", { retriable: false });
  return tenant;
}
