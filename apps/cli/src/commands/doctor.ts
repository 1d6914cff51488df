import { ConfigError, loadConfig, type SluiceConfig } from "@sluice/core";
import {
  createDb,
  DatabaseError,
  describeServer,
  migrationStatus,
  resolveDatabase,
  serverVersion,
} from "@sluice/db";
import type { Command } from "commander";
import { embeddedDataDir } from "../context.ts";
import { CliFailure } from "../output/failure.ts";
import { printColumns } from "../output/table.ts";
import { paint, printJson } from "../output/terminal.ts";

/** The outcome of one doctor check. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const MIN_NODE_MAJOR = 24;

function checkNode(): Check {
  const major = Number(process.versions.node.split(".")[0]);
  return {
    name: "node",
    ok: major >= MIN_NODE_MAJOR,
    detail:
      major >= MIN_NODE_MAJOR
        ? `v${process.versions.node}`
        : `v${process.versions.node}: Sluice needs Node ${MIN_NODE_MAJOR}+ (run through pnpm, which uses the pinned Node)`,
  };
}

function checkProviders(config: SluiceConfig): Check {
  const { openai, anthropic, extra, simulatorUrl } = config.providers;
  const configured = [
    ...(openai.apiKey ? [openai.baseUrl ? `openai (${openai.baseUrl})` : "openai"] : []),
    ...(anthropic.apiKey ? [anthropic.baseUrl ? `anthropic (${anthropic.baseUrl})` : "anthropic"] : []),
    ...Object.entries(extra).map(([name, p]) => `${name} (${p.baseUrl})`),
  ];
  const fallback = simulatorUrl ? `the simulator at ${simulatorUrl}` : "the built-in simulator";
  return {
    name: "providers",
    ok: true,
    detail:
      configured.length > 0
        ? `${configured.join(", ")}; other models use ${fallback}`
        : `none configured: ${fallback} will be used`,
  };
}

async function checkDatabase(config: SluiceConfig): Promise<Check[]> {
  let resolved: Awaited<ReturnType<typeof resolveDatabase>>;
  try {
    resolved = await resolveDatabase({ databaseUrl: config.databaseUrl, dataDir: embeddedDataDir(config) });
  } catch (error) {
    const detail = error instanceof DatabaseError ? error.message : String(error);
    return [
      { name: "database", ok: false, detail },
      { name: "migrations", ok: false, detail: "not checked: no database" },
    ];
  }
  const db = createDb(resolved.url, { applicationName: "sluice-doctor" });
  try {
    const version = await serverVersion(db);
    const where = resolved.embedded ? `embedded in ${embeddedDataDir(config)}` : describeServer(resolved.url);
    const status = await migrationStatus(db);
    const pending = status.filter((m) => m.executedAt === null).map((m) => m.name);
    return [
      { name: "database", ok: true, detail: `PostgreSQL ${version} (${where})` },
      pending.length === 0
        ? { name: "migrations", ok: true, detail: `${status.length} applied, none pending` }
        : {
            name: "migrations",
            ok: false,
            detail: `${pending.length} pending (${pending.join(", ")}): run \`sluice migrate\``,
          },
    ];
  } finally {
    await db.destroy();
    await resolved.stop();
  }
}

/** Runs every check; configuration errors become a failed check instead of an exception. */
export async function runChecks(): Promise<Check[]> {
  let config: SluiceConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [checkNode(), { name: "config", ok: false, detail: error.message }];
  }
  return [
    checkNode(),
    { name: "config", ok: true, detail: "environment parsed" },
    ...(await checkDatabase(config)),
    checkProviders(config),
  ];
}

/** `sluice doctor`. */
export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check Node, configuration, the database, migrations and providers")
    .option("--json", "print machine-readable output")
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice doctor\n  $ DATABASE_URL=postgres://localhost/sluice sluice doctor --json",
    )
    .action(async (options: { json?: boolean }) => {
      const checks = await runChecks();
      const ok = checks.every((c) => c.ok);
      if (options.json) printJson({ ok, checks });
      else
        printColumns(checks.map((c) => [c.ok ? paint("green", "✓") : paint("red", "✗"), c.name, c.detail]));
      if (!ok)
        throw new CliFailure(
          "doctor_failed",
          `${checks
            .filter((c) => !c.ok)
            .map((c) => c.name)
            .join(", ")} failed`,
        );
    });
}
