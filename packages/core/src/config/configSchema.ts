import { z } from "zod";

/** A configuration value that is wrong, naming the variable. */
export class ConfigError extends Error {
  readonly variables: string[];

  constructor(issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.variables = issues.map((i) => i.variable);
  }
}

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const optionalUrl = z.preprocess(
  emptyAsUndefined,
  z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
);

const envSchema = z.object({
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional(),
  ),
  SLUICE_HOME: z.preprocess(emptyAsUndefined, z.string().default(".sluice")),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
});

/** Sluice's configuration, parsed once from the environment. */
export interface SluiceConfig {
  /** External Postgres; unset means embedded Postgres under `home`. */
  databaseUrl: string | undefined;
  /** Directory for local state: embedded database, CLI config. */
  home: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  providers: {
    openai: { apiKey: string | undefined; baseUrl: string | undefined };
    anthropic: { apiKey: string | undefined; baseUrl: string | undefined };
  };
}

/** Parses an environment-like record; throws {@link ConfigError} naming each bad variable. */
export function parseConfig(source: Record<string, string | undefined>): SluiceConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "environment"),
        message: issue.message,
      })),
    );
  }
  const env = parsed.data;
  return {
    databaseUrl: env.DATABASE_URL,
    home: env.SLUICE_HOME,
    logLevel: env.LOG_LEVEL,
    providers: {
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL },
      anthropic: { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL },
    },
  };
}
