import { fileURLToPath } from "node:url";
import { type ProcessResult, runNodeScript } from "@sluice/db/testing";

const cliEntry = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** What a finished `sluice` process printed and returned. */
export type CliResult = ProcessResult;

/** Runs the real CLI as a subprocess with the given environment overrides. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runNodeScript(cliEntry, args, { ...process.env, NO_COLOR: "1", ...env });
}
