import { Command } from "commander";
import { registerBatches } from "./commands/batches.ts";
import { registerDeadLetters } from "./commands/deadLetters.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerEval } from "./commands/eval.ts";
import { registerJobs } from "./commands/jobs.ts";
import { registerKeyPolicyCommands } from "./commands/keyPolicyFlags.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerSpend } from "./commands/spend.ts";
import { registerStats } from "./commands/stats.ts";
import { registerTenants } from "./commands/tenants.ts";
import { registerClassify, registerTickets } from "./commands/tickets.ts";
import { registerParts, registerUp } from "./commands/up.ts";
import { registerWorker } from "./commands/worker.ts";

/** The `sluice` command tree. */
export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("Sluice: LLM pipelines, cascades and durable jobs on Postgres")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerUp(program);
  registerParts(program);
  registerWorker(program);
  registerMigrate(program);
  registerDoctor(program);
  registerTenants(program);
  registerKeys(program);
  const keys = program.commands.find((command) => command.name() === "keys");
  if (keys) registerKeyPolicyCommands(keys);
  registerJobs(program);
  registerBatches(program);
  registerDeadLetters(program);
  registerTickets(program);
  registerClassify(program);
  registerStats(program);
  registerSpend(program);
  registerEval(program);
  const configure = (command: Command): void => {
    command.exitOverride().showHelpAfterError("(run with --help for usage)");
    for (const sub of command.commands) configure(sub);
  };
  for (const command of program.commands) configure(command);
  return program;
}
