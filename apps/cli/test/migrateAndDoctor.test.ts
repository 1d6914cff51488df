import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { withDatabase } from "@sluice/db";
import { dropDatabase, useTestDatabase, withAdminClient } from "@sluice/db/testing";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./runCli.ts";

const t = useTestDatabase();
const extra: string[] = [];

async function emptyDatabaseUrl(): Promise<string> {
  const name = `sluice_cli_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(t.adminUrl, (c) => c.query(`create database ${name}`));
  extra.push(name);
  return withDatabase(t.adminUrl, name);
}

afterAll(async () => {
  for (const name of extra) await dropDatabase(t.adminUrl, name);
});

describe("sluice doctor", () => {
  it("passes on a migrated database and says which providers are used", async () => {
    const run = await runCli(["doctor", "--json"], {
      DATABASE_URL: t.url,
      OPENAI_API_KEY: "",
      ANTHROPIC_API_KEY: "",
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      "node",
      "config",
      "database",
      "migrations",
      "providers",
    ]);
    expect(report.checks.find((c) => c.name === "providers")?.detail).toMatch(/simulator/);
  });

  it("fails with exit 1 while migrations are pending, naming them", async () => {
    const run = await runCli(["doctor"], { DATABASE_URL: await emptyDatabaseUrl() });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗\s+migrations\s+\d+ pending \(20261124T120000_tenantsAndApiKeys, .*\): run `sluice migrate`/,
    );
    expect(run.stderr.trim()).toBe("error: doctor_failed: migrations failed");
  });

  it("lists configured providers without printing their keys", async () => {
    const run = await runCli(["doctor"], { DATABASE_URL: t.url, OPENAI_API_KEY: "sk-secret-value" });
    expect(run.stdout).toMatch(/providers\s+openai/);
    expect(run.stdout + run.stderr).not.toContain("sk-secret-value");
  });
});

describe("sluice migrate", () => {
  it("applies, reports status, reverts and re-applies", async () => {
    const env = { DATABASE_URL: await emptyDatabaseUrl() };
    let run = await runCli(["migrate", "--status"], env);
    expect([run.code, run.stdout]).toEqual([
      0,
      expect.stringMatching(/pending\s+20261124T120000_tenantsAndApiKeys/),
    ]);
    run = await runCli(["migrate"], env);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe("applied  20261124T120000_tenantsAndApiKeys");
    run = await runCli(["migrate"], env);
    expect([run.code, run.stdout]).toEqual([0, "database is up to date\n"]);
    run = await runCli(["migrate", "--down", "--json"], env);
    expect(run.code).toBe(0);
    const reverted = (JSON.parse(run.stdout) as { reverted: string[] }).reverted;
    expect(reverted).toHaveLength(1);
    expect((await runCli(["doctor"], env)).code).toBe(1);
    expect((await runCli(["migrate"], env)).code).toBe(0);
    expect((await runCli(["doctor"], env)).code).toBe(0);
  });

  it("two concurrent runs both succeed and apply the set once", async () => {
    const env = { DATABASE_URL: await emptyDatabaseUrl() };
    const [a, b] = await Promise.all([
      runCli(["migrate", "--json"], env),
      runCli(["migrate", "--json"], env),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const applied = [a, b].flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied);
    expect(applied[0]).toBe("20261124T120000_tenantsAndApiKeys");
    expect(new Set(applied).size).toBe(applied.length);
  });

  it("uses embedded Postgres under SLUICE_HOME when DATABASE_URL is unset, and keeps the data", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-cli-home-"));
    fs.chmodSync(home, 0o755);
    try {
      const env = { DATABASE_URL: "", SLUICE_HOME: home };
      const migrated = await runCli(["migrate"], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(fs.existsSync(path.join(home, "postgres", "PG_VERSION"))).toBe(true);
      const doctor = await runCli(["doctor"], env);
      expect(doctor.code, doctor.stderr).toBe(0);
      expect(doctor.stdout).toMatch(/database\s+PostgreSQL \d+.*embedded in/);
      expect(doctor.stdout).toMatch(/\d+ applied, none pending/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("bad input", () => {
  const oneLine = (text: string) => text.trim().split("\n").length === 1 && !/\n\s+at /.test(text);

  it("a malformed DATABASE_URL gives one line and exit 1", async () => {
    for (const url of ["mysql://root@localhost/db", "not a url"]) {
      const run = await runCli(["migrate"], { DATABASE_URL: url });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: invalid_config: .*DATABASE_URL must be a postgres/);
      expect(oneLine(run.stderr)).toBe(true);
    }
  });

  it("an unreachable server gives one line and exit 1", async () => {
    const run = await runCli(["migrate"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: database_unreachable: cannot reach Postgres at 127\.0\.0\.1:1/);
    expect(oneLine(run.stderr)).toBe(true);
  });

  it("an unknown flag or command is a usage error with exit 2", async () => {
    const flag = await runCli(["migrate", "--bogus"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--bogus'");
    const command = await runCli(["frobnicate"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'frobnicate'");
  });

  it("--help exits 0 and shows an example", async () => {
    const run = await runCli(["migrate", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("$ sluice migrate --status --json");
  });
});
