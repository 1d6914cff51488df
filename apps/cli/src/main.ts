#!/usr/bin/env node
import { CommanderError } from "commander";
import { describeFailure, exitCodes } from "./output/failure.ts";
import { buildProgram } from "./program.ts";

try {
  await buildProgram().parseAsync(process.argv);
  process.exitCode = exitCodes.ok;
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed the usage error or the help text.
    const shown =
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help";
    process.exitCode = shown ? exitCodes.ok : exitCodes.usage;
  } else {
    process.stderr.write(`${describeFailure(error)}\n`);
    process.exitCode = exitCodes.failure;
  }
}
