import { describe, expect, it } from "vitest";
import { insertTenant, listTenants } from "../repositories/tenants.ts";
import { useTestDatabase } from "./testDatabase.ts";

const t = useTestDatabase();

describe("per-file test databases (file B)", () => {
  it("sees only its own rows while another file writes the same table", async () => {
    for (let i = 0; i < 20; i++) {
      await insertTenant(t.db, { name: `shared-name-${i}` });
      // real time under test: both files' writes spread over the same stretch of time, interleaved.
      await new Promise((r) => setTimeout(r, 10));
    }
    const names = (await listTenants(t.db)).map((x) => x.name);
    expect(names).toHaveLength(20);
    expect(t.name).toMatch(/^sluice_test_/);
  });
});
