import { disableTenant, enableTenant, insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { tenantForJob } from "./jobTenant.ts";

const t = useTestDatabase();

describe("a job's tenant", () => {
  it("is the live tenant the job names", async () => {
    const tenant = await insertTenant(t.db, { name: "job-tenant" });
    expect(await tenantForJob(t.db, tenant.id)).toEqual(tenant);
  });

  it("is a non-retriable not_found when the job names none or one that does not exist", async () => {
    for (const id of [null, undefined, "00000000-0000-4000-8000-000000000000"]) {
      const error = await tenantForJob(t.db, id).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "not_found", message: "the job's tenant no longer exists" });
      expect(error).toHaveProperty("retriable", false);
    }
  });

  it("is a non-retriable forbidden while the tenant is disabled, and found again once enabled", async () => {
    const tenant = await insertTenant(t.db, { name: "job-tenant-disabled" });
    await disableTenant(t.db, tenant.id);
    const error = await tenantForJob(t.db, tenant.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "forbidden", message: "the job's tenant is disabled" });
    expect(error).toHaveProperty("retriable", false);
    await enableTenant(t.db, tenant.id);
    expect((await tenantForJob(t.db, tenant.id)).id).toBe(tenant.id);
  });
});
