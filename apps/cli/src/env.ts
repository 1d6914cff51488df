import { z } from "zod";

const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);

const cliEnvSchema = z.object({
  SLUICE_URL: z.preprocess(blankIsUnset, z.string().optional()),
  SLUICE_API_KEY: z.preprocess(blankIsUnset, z.string().optional()),
  SLUICE_API_PORT: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(65_535).default(3000)),
  LOG_LEVEL: z.preprocess(blankIsUnset, z.string().optional()),
  SLUICE_BATCH_POLL_MS: z.preprocess(blankIsUnset, z.string().optional()),
});

/** The CLI's own variables, on top of the shared Sluice configuration (`loadConfig`). */
export interface CliEnv {
  /** `SLUICE_URL`: the API remote commands talk to, unless `--url` names one. */
  url: string | undefined;
  /** `SLUICE_API_KEY`: the key remote commands send, unless `--key` gives one. */
  apiKey: string | undefined;
  /** `SLUICE_API_PORT`: the port `sluice up` serves the API on, unless `--port` gives one. */
  apiPort: number;
  /** `LOG_LEVEL`: the level `sluice up` gives its processes (default `warn`). */
  logLevel: string | undefined;
  /** `SLUICE_BATCH_POLL_MS`: set, it is left to the processes `sluice up` starts. */
  batchPollMs: string | undefined;
}

/** Parses the CLI's variables; a wrong value names the variable. */
export function loadCliEnv(source: Record<string, string | undefined> = process.env): CliEnv {
  const parsed = cliEnvSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${String(issue?.path[0])} ${issue?.message}`);
  }
  const env = parsed.data;
  return {
    url: env.SLUICE_URL,
    apiKey: env.SLUICE_API_KEY,
    apiPort: env.SLUICE_API_PORT,
    logLevel: env.LOG_LEVEL,
    batchPollMs: env.SLUICE_BATCH_POLL_MS,
  };
}

/** The environment the processes `sluice up` starts inherit, before their own variables. */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return process.env;
}
