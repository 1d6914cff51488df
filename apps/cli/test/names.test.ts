import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { insertApiKey, insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "./runCli.ts";
import { startUp, type UpProcess } from "./upProcess.ts";

const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-names-"));
let up: UpProcess;
// Each test runs six to nine `sluice` processes; on a loaded machine one took up to 17 s.
const SLOW = { timeout: 300_000 };
const cli = (...args: string[]) => runCli(args, { SLUICE_HOME: home });

/** A command's JSON output; a failure shows what it printed instead. */
function json<T>(run: CliResult): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

/** A failed command: exit 1 and one `error: <code>: …` line, with the request id as every API failure has. */
function failure(run: CliResult, code: string): string {
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error: ${code}: .* \\(request \\S+\\)$`));
  return lines[0]!;
}

type TenantJson = { id: string; name: string; dailyBudgetMicros: number | null; disabledAt: string | null };
type KeyJson = { id: string; keyPrefix: string; name: string; revokedAt: string | null };

beforeAll(async () => {
  up = await startUp(["--port", "0"], {
    DATABASE_URL: t.url,
    SLUICE_HOME: home,
    OPENAI_API_KEY: "",
    ANTHROPIC_API_KEY: "",
  });
});
afterAll(async () => {
  await up?.interrupt();
  fs.rmSync(home, { recursive: true, force: true });
});

describe("CLI arguments name tenants and keys the way people type them", () => {
  it(
    "tenants limits takes a name or an id: the issue's `tenants limits demo --budget 0` works",
    SLOW,
    async () => {
      const created = await insertTenant(t.db, { name: "names-acme" });

      // The issue's own example: a budget of $0 set by name.
      const limited = await cli("tenants", "limits", "names-acme", "--budget", "0", "--json");
      expect(json<TenantJson>(limited)).toMatchObject({ id: created.id, dailyBudgetMicros: 0 });
      const byId = await cli("tenants", "limits", created.id, "--budget", "2.5", "--json");
      expect(json<TenantJson>(byId)).toMatchObject({ id: created.id, dailyBudgetMicros: 2_500_000 });
      const shownLimits = await cli("tenants", "limits", "names-acme");
      expect(shownLimits.stdout).toMatch(new RegExp(`tenant\\s+names-acme \\(${created.id}\\)`));
      expect(shownLimits.stdout).toMatch(/daily budget\s+\$2\.50/);

      const help = await cli("tenants", "limits", "--help");
      expect(help.stdout).toMatch(/Usage: sluice tenants limits \[options\] <tenant>/);
      expect(help.stdout).toMatch(/^\s+tenant\s+tenant id or name$/m);
    },
  );

  it(
    "tenants show, disable and enable take a name or an id, and find a disabled tenant by its name",
    SLOW,
    async () => {
      const created = await insertTenant(t.db, { name: "names-toggle" });
      for (const ref of ["names-toggle", created.id]) {
        expect(json<TenantJson>(await cli("tenants", "show", ref, "--json")).id).toBe(created.id);
        const disabled = json<TenantJson>(await cli("tenants", "disable", ref, "--json"));
        expect(disabled).toMatchObject({ id: created.id, disabledAt: expect.any(String) });
        // A disabled tenant is still found by its name.
        expect(json<TenantJson>(await cli("tenants", "show", ref, "--json")).disabledAt).not.toBeNull();
        const enabled = json<TenantJson>(await cli("tenants", "enable", ref, "--json"));
        expect(enabled).toMatchObject({ id: created.id, disabledAt: null });
      }
    },
  );

  it(
    "a tenant name nobody has is one not_found line naming it and the names close to it; nothing changes",
    SLOW,
    async () => {
      await insertTenant(t.db, { name: "names-typo", dailyBudgetMicros: 2_500_000 });
      for (const args of [
        ["tenants", "limits", "names-typ", "--budget", "0"],
        ["tenants", "show", "names-typ"],
        ["tenants", "disable", "names-typ"],
        ["tenants", "enable", "names-typ"],
      ]) {
        const line = failure(await cli(...args), "not_found");
        expect(line).toContain('no tenant has the id or name "names-typ"; did you mean "names-typo"?');
      }
      const unknownId = failure(
        await cli("tenants", "show", "00000000-0000-4000-8000-000000000000"),
        "not_found",
      );
      expect(unknownId).toContain('no tenant has the id or name "00000000-0000-4000-8000-000000000000"');
      // Nothing changed on the way: the typo did not reach the tenant's limits.
      const after = json<TenantJson>(await cli("tenants", "show", "names-typo", "--json"));
      expect(after).toMatchObject({ dailyBudgetMicros: 2_500_000, disabledAt: null });
    },
  );

  it(
    "keys create and list take a tenant by name or id; an unknown tenant is one not_found line",
    SLOW,
    async () => {
      const tenant = await insertTenant(t.db, { name: "names-keys" });
      const first = json<{ key: KeyJson }>(
        await cli("keys", "create", "names-keys", "--name", "ci", "--json"),
      ).key;
      const second = json<{ key: KeyJson }>(
        await cli("keys", "create", tenant.id, "--name", "ci", "--json"),
      ).key;
      expect(first.id).not.toBe(second.id);
      for (const ref of ["names-keys", tenant.id]) {
        const listed = json<KeyJson[]>(await cli("keys", "list", ref, "--json"));
        expect(listed.map((k) => k.id).sort()).toEqual([first.id, second.id].sort());
      }
      for (const args of [
        ["keys", "create", "names-kyes"],
        ["keys", "list", "names-kyes"],
      ]) {
        expect(failure(await cli(...args), "not_found")).toContain(
          'no tenant has the id or name "names-kyes"',
        );
      }
    },
  );

  it(
    "keys revoke takes a key's prefix or name; two live keys with one name fail listing both",
    SLOW,
    async () => {
      const tenant = await insertTenant(t.db, { name: "names-revoke" });
      const key = (name: string) =>
        insertApiKey(t.db, {
          tenantId: tenant.id,
          role: "tenant",
          keyPrefix: `slk_${randomBytes(4).toString("hex")}`,
          keyHash: randomBytes(32).toString("hex"),
          name,
        });
      const first = await key("deploy");
      const second = await key("deploy");

      // Two live keys share the name: the CLI lists both and changes nothing.
      const ambiguousName = failure(await cli("keys", "revoke", "deploy"), "validation_error");
      expect(ambiguousName).toContain('"deploy" matches 2 API keys: ');
      expect(ambiguousName).toContain(`${first.keyPrefix} "deploy" (tenant names-revoke, id ${first.id})`);
      expect(ambiguousName).toContain(`${second.keyPrefix} "deploy" (tenant names-revoke, id ${second.id})`);
      expect(json<KeyJson[]>(await cli("keys", "list", "names-revoke", "--json"))).toHaveLength(2);

      // By the prefix `keys list` shows; then the name left names one live key.
      const byPrefix = json<KeyJson>(await cli("keys", "revoke", first.keyPrefix, "--json"));
      expect(byPrefix).toMatchObject({ id: first.id, revokedAt: expect.any(String) });
      const byName = json<KeyJson>(
        await cli("keys", "revoke", "deploy", "--tenant", "names-revoke", "--json"),
      );
      expect(byName).toMatchObject({ id: second.id, revokedAt: expect.any(String) });

      const unknown = failure(await cli("keys", "revoke", "slk_zzzz9999"), "not_found");
      expect(unknown).toContain('no API key has the id, prefix or name "slk_zzzz9999"');
      const unknownTenant = failure(
        await cli("keys", "revoke", "deploy", "--tenant", "names-kyes"),
        "not_found",
      );
      expect(unknownTenant).toContain('no tenant has the id or name "names-kyes"');
    },
  );

  it(
    "an ambiguous key prefix fails with every match listed; more of it, the key id or its tenant picks one",
    SLOW,
    async () => {
      // Prefixes are random; keys stored with chosen ones make two share a beginning.
      const one = await insertTenant(t.db, { name: "names-one" });
      const two = await insertTenant(t.db, { name: "names-two" });
      const key = (tenantId: string, keyPrefix: string) =>
        insertApiKey(t.db, { tenantId, role: "tenant", keyPrefix, keyHash: randomBytes(32).toString("hex") });
      const a = await key(one.id, "slk_clip0001");
      const b = await key(two.id, "slk_clip0002");
      const c = await key(two.id, "slk_clip0003");

      const ambiguous = failure(await cli("keys", "revoke", "slk_clip"), "validation_error");
      expect(ambiguous).toContain('"slk_clip" matches 3 API keys: ');
      for (const k of [a, b, c]) expect(ambiguous).toContain(`${k.keyPrefix} (tenant names-`);
      const inTwo = failure(await cli("keys", "revoke", "clip", "--tenant", "names-two"), "validation_error");
      expect(inTwo).toContain('"clip" matches 2 API keys in tenant names-two: ');

      expect(
        json<KeyJson>(await cli("keys", "revoke", "slk_clip", "--tenant", "names-one", "--json")).id,
      ).toBe(a.id);
      expect(json<KeyJson>(await cli("keys", "revoke", "clip0002", "--json")).id).toBe(b.id);
      expect(json<KeyJson>(await cli("keys", "revoke", c.id, "--json")).id).toBe(c.id);
      const revoked = json<KeyJson[]>(await cli("keys", "list", "names-two", "--all", "--json"));
      expect(revoked.map((k) => [k.keyPrefix, k.revokedAt !== null]).sort()).toEqual([
        ["slk_clip0002", true],
        ["slk_clip0003", true],
      ]);
      const wrongTenant = failure(await cli("keys", "revoke", a.id, "--tenant", "names-two"), "not_found");
      expect(wrongTenant).toContain(`no API key has the id, prefix or name "${a.id}" in tenant names-two`);
    },
  );
});
