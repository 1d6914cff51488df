import { describe, expect, it } from "vitest";
import { DbConstraintError, isConstraintError } from "../errors.ts";
import { useTestDatabase } from "../testing/testDatabase.ts";
import {
  disableTenant,
  enableTenant,
  findTenantById,
  findTenantByName,
  insertTenant,
  listTenants,
  tenantConstraints,
  updateTenantLimits,
} from "./tenants.ts";

const t = useTestDatabase();

describe("tenants repository", () => {
  it("creates a tenant with limits and finds it by id and name", async () => {
    const tenant = await insertTenant(t.db, { name: "acme", dailyBudgetMicros: 5_000_000, rateLimitRpm: 60 });
    expect(tenant).toMatchObject({
      name: "acme",
      dailyBudgetMicros: 5_000_000,
      rateLimitRpm: 60,
      rateLimitTpm: null,
    });
    expect(tenant.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await findTenantById(t.db, tenant.id)).toEqual(tenant);
    expect(await findTenantByName(t.db, "acme")).toEqual(tenant);
    expect(await findTenantByName(t.db, "nobody")).toBeUndefined();
  });

  it("rejects a duplicate name as a unique violation naming the constraint", async () => {
    await insertTenant(t.db, { name: "dupe" });
    const error = await insertTenant(t.db, { name: "dupe" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbConstraintError);
    expect(error).toMatchObject({
      kind: "unique_violation",
      constraint: tenantConstraints.uniqueName,
      table: "tenants",
    });
    expect(isConstraintError(error, "unique_violation", "tenants_name_key")).toBe(true);
    expect(isConstraintError(error, "foreign_key_violation")).toBe(false);
    // The driver's error stays reachable for logs.
    expect((error as Error).cause).toMatchObject({ code: "23505" });
  });

  it("raises a duplicate inside a caller's transaction typed too, and the transaction rolls back", async () => {
    await insertTenant(t.db, { name: "dupe-tx" });
    await expect(
      t.db.transaction().execute(async (trx) => {
        await insertTenant(trx, { name: "dupe-tx-other" });
        await insertTenant(trx, { name: "dupe-tx" });
      }),
    ).rejects.toMatchObject({ kind: "unique_violation", constraint: "tenants_name_key" });
    expect(await findTenantByName(t.db, "dupe-tx-other")).toBeUndefined();
  });

  it("updates only the limits given and leaves the rest", async () => {
    const tenant = await insertTenant(t.db, { name: "limits", rateLimitRpm: 10, rateLimitTpm: 1000 });
    const updated = await updateTenantLimits(t.db, tenant.id, { rateLimitRpm: 20, dailyBudgetMicros: null });
    expect(updated).toMatchObject({ rateLimitRpm: 20, rateLimitTpm: 1000, dailyBudgetMicros: null });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(tenant.updatedAt.getTime());
  });

  it("runs inside a caller's transaction and rolls back with it", async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await insertTenant(trx, { name: "rolled-back" });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await findTenantByName(t.db, "rolled-back")).toBeUndefined();
  });

  it("disables and re-enables; disabled tenants leave the default list", async () => {
    const tenant = await insertTenant(t.db, { name: "to-disable" });
    const disabled = await disableTenant(t.db, tenant.id);
    expect(disabled?.disabledAt).toBeInstanceOf(Date);
    expect((await disableTenant(t.db, tenant.id))?.disabledAt).toEqual(disabled?.disabledAt);
    expect((await listTenants(t.db)).map((x) => x.name)).not.toContain("to-disable");
    expect((await listTenants(t.db, { includeDisabled: true })).map((x) => x.name)).toContain("to-disable");
    expect((await enableTenant(t.db, tenant.id))?.disabledAt).toBeNull();
  });

  it("refuses negative budgets at the database", async () => {
    const error = await insertTenant(t.db, { name: "negative", dailyBudgetMicros: -1 }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/check/);
    // Only unique and foreign-key violations are translated; other errors pass through as the driver raised them.
    expect(error).not.toBeInstanceOf(DbConstraintError);
    expect(error).toMatchObject({ code: "23514" });
  });
});
