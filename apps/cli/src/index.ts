export { type Check, runChecks } from "./commands/doctor.ts";
export { CliFailure, describeFailure, exitCodes } from "./output/failure.ts";
export { buildProgram } from "./program.ts";
