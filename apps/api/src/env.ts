import { z } from "zod";

const apiEnvSchema = z.object({
  SLUICE_API_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  SLUICE_API_HOST: z.string().min(1).default("127.0.0.1"),
  SLUICE_CORS_ORIGINS: z.string().default(""),
});

/** Settings of the API process, on top of the shared Sluice configuration. */
export interface ApiEnv {
  port: number;
  host: string;
  /** Browser origins allowed by CORS (`SLUICE_CORS_ORIGINS`, comma-separated). */
  corsOrigins: string[];
}

/** Parses the API's own variables; a wrong value names the variable. */
export function loadApiEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  const parsed = apiEnvSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${String(issue?.path[0])} ${issue?.message}`);
  }
  return {
    port: parsed.data.SLUICE_API_PORT,
    host: parsed.data.SLUICE_API_HOST,
    corsOrigins: parsed.data.SLUICE_CORS_ORIGINS.split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  };
}
