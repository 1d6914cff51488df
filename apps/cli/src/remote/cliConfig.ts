import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/** What `sluice up` leaves for later commands: where the API is and the keys it made. */
export const cliConfigSchema = z.object({
  url: z.url(),
  adminKey: z.string().optional(),
  demoKey: z.string().optional(),
  demoTenantId: z.string().optional(),
});
export type CliConfig = z.infer<typeof cliConfigSchema>;

/** `SLUICE_HOME/cli.json`. */
export function cliConfigPath(home: string): string {
  return path.resolve(home, "cli.json");
}

/** The saved CLI configuration, or undefined when there is none (or it is unreadable). */
export function readCliConfig(home: string): CliConfig | undefined {
  try {
    const parsed = cliConfigSchema.safeParse(JSON.parse(fs.readFileSync(cliConfigPath(home), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Saves the CLI configuration, readable by its owner only (it holds API keys). */
export function writeCliConfig(home: string, config: CliConfig): void {
  fs.mkdirSync(path.resolve(home), { recursive: true });
  const file = cliConfigPath(home);
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
