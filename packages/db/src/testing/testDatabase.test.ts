import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { runScript } from "../../test/subprocess.ts";
import { dropDatabase, withAdminClient } from "./templateDatabase.ts";

const adminUrl = inject("sluiceAdminUrl");
const vitestBin = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
const fixtureConfig = fileURLToPath(new URL("../../test/fixtures/vitest/vitest.config.ts", import.meta.url));

async function databaseExists(name: string): Promise<boolean> {
  return withAdminClient(adminUrl, async (c) => {
    const r = await c.query("select 1 from pg_database where datname = $1", [name]);
    return r.rowCount === 1;
  });
}

async function runFixture(file: string) {
  const result = await runScript(vitestBin, ["run", "--config", fixtureConfig, file], {
    ...process.env,
    DATABASE_URL: adminUrl,
  });
  const name = /database=(sluice_test_\w+)/.exec(result.stdout)?.[1];
  if (!name) throw new Error(`fixture printed no database name:\n${result.stdout}\n${result.stderr}`);
  return { ...result, name };
}

describe("test database fixture", () => {
  it("drops the database of a file whose tests passed", async () => {
    const run = await runFixture("passing.fixture.ts");
    expect(run.code).toBe(0);
    expect(await databaseExists(run.name)).toBe(false);
  });

  it("keeps and names the database of a file with a failing test", async () => {
    const run = await runFixture("failing.fixture.ts");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`kept test database "${run.name}"`);
    expect(await databaseExists(run.name)).toBe(true);
    await dropDatabase(adminUrl, run.name);
  });
});
