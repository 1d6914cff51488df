import { Command } from "commander";
import { registerDoctor } from "./commands/doctor.ts";
import { registerEval } from "./commands/eval.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerWorker } from "./commands/worker.ts";

/** The `sluice` command tree. */
export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("Sluice: LLM pipelines, cascades and durable jobs on Postgres")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerMigrate(program);
  registerDoctor(program);
  registerEval(program);
  registerWorker(program);
  for (const command of program.commands)
    command.exitOverride().showHelpAfterError("(run with --help for usage)");
  return program;
}
