import { installQueueSchema, migrateDown, migrateToLatest, migrationStatus } from "@sluice/db";
import type { Command } from "commander";
import { withDatabase } from "../context.ts";
import { printColumns } from "../output/table.ts";
import { paint, printJson } from "../output/terminal.ts";

interface MigrateOptions {
  down?: boolean;
  status?: boolean;
  json?: boolean;
}

/** `sluice migrate [--down|--status]`. */
export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations (or revert the last one, or show status)")
    .option("--down", "revert the most recently applied migration")
    .option("--status", "list migrations and whether each is applied")
    .option("--json", "print machine-readable output")
    .addHelpText("after", "\nExamples:\n  $ sluice migrate\n  $ sluice migrate --status --json")
    .action(async (options: MigrateOptions) => {
      if (options.down && options.status) {
        program.error("error: --down and --status cannot be combined", { exitCode: 2 });
      }
      await withDatabase(async (db) => {
        if (options.status) {
          const status = await migrationStatus(db);
          if (options.json) return printJson(status);
          printColumns(
            status.map((m) => [
              m.executedAt ? paint("green", "applied") : paint("yellow", "pending"),
              m.name,
              m.executedAt?.toISOString() ?? "",
            ]),
          );
          return;
        }
        const outcome = options.down ? await migrateDown(db) : await migrateToLatest(db);
        // The job queue's own tables (pg-boss, in its schema) are installed or upgraded alongside.
        if (!options.down) await installQueueSchema(db);
        if (options.json) return printJson(outcome);
        for (const name of outcome.applied) process.stdout.write(`applied  ${name}\n`);
        for (const name of outcome.reverted) process.stdout.write(`reverted ${name}\n`);
        if (outcome.applied.length + outcome.reverted.length === 0) {
          process.stdout.write(options.down ? "nothing to revert\n" : "database is up to date\n");
        }
      });
    });
}
