import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// SQL lives in packages/db: Biome's noRestrictedImports (biome.json) keeps kysely, pg and pg-boss out
// of every other package. Biome reports no lint diagnostics for code read from stdin, so each case is
// a file written into a scratch tree beside a verbatim copy of the repository's biome.json, and linted
// there under the path it would have in the repository: the working tree itself is never touched.
const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const biome = path.join(root, "node_modules/.bin/biome");
const fixturePath = fileURLToPath(new URL("./fixtures/lint/importsKysely.ts", import.meta.url));
const RULE = "lint/style/noRestrictedImports";

let scratch: string;
let importsKysely: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "sluice-lint-"));
  await copyFile(path.join(root, "biome.json"), path.join(scratch, "biome.json"));
  importsKysely = await readFile(fixturePath, "utf8");
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Lints `text` as the repository file `file`; `ok` is false when Biome reports an error. */
async function lint(file: string, text: string): Promise<{ ok: boolean; output: string }> {
  const target = path.join(scratch, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, text);
  try {
    const { stdout, stderr } = await run(biome, ["lint", "--vcs-enabled=false", "--colors=off", file], {
      cwd: scratch,
    });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (failed.code !== 1) throw error;
    return { ok: false, output: `${failed.stdout}${failed.stderr}` };
  } finally {
    await rm(target);
  }
}

const withoutImports = (text: string) =>
  text
    .split("\n")
    .filter((line) => !line.startsWith("import "))
    .join("\n");

describe("the import boundary around packages/db", () => {
  it("rejects kysely imported by an app's source, naming the rule", async () => {
    const result = await lint("apps/api/src/importsKysely.ts", importsKysely);
    expect(result.ok).toBe(false);
    expect(result.output).toContain(RULE);
    expect(result.output).toContain("SQL lives in packages/db");
  });

  it("accepts the same file without the import", async () => {
    const result = await lint("apps/api/src/importsKysely.ts", withoutImports(importsKysely));
    expect(result).toMatchObject({ ok: true });
    expect(result.output).not.toContain(RULE);
  });

  it.each([
    ["pg", 'import pg from "pg";\n\nexport const Pool = pg.Pool;\n'],
    ["pg-boss", 'import { PgBoss } from "pg-boss";\n\nexport const Boss = PgBoss;\n'],
    ["a driver's submodule", 'import { sql } from "kysely/helpers/postgres";\n\nexport const q = sql;\n'],
  ])("rejects %s in core and in the worker's source", async (_name, text) => {
    for (const file of ["packages/core/src/reachesDriver.ts", "apps/worker/src/reachesDriver.ts"]) {
      const result = await lint(file, text);
      expect(result.ok).toBe(false);
      expect(result.output).toContain(RULE);
    }
  });

  it("allows the drivers inside packages/db, and nowhere else but the benchmarks", async () => {
    expect((await lint("packages/db/src/repositories/importsKysely.ts", importsKysely)).ok).toBe(true);
    expect((await lint("bench/importsKysely.ts", importsKysely)).ok).toBe(true);
    expect((await lint("packages/client/src/importsKysely.ts", importsKysely)).ok).toBe(false);
  });

  it("gives tests raw SQL through @sluice/db/testing only, which source may not import", async () => {
    const throughTesting = importsKysely.replace('from "kysely"', 'from "@sluice/db/testing"');
    expect((await lint("apps/api/test/rawSql.test.ts", importsKysely)).ok).toBe(false);
    expect((await lint("apps/api/test/rawSql.test.ts", throughTesting)).ok).toBe(true);
    const inSource = await lint("apps/api/src/rawSql.ts", throughTesting);
    expect(inSource.ok).toBe(false);
    expect(inSource.output).toContain("Test helpers are for tests only");
  });
});
