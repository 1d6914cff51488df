import type { SluiceConfig } from "../config/configSchema.ts";
import { ConfigError } from "../config/configSchema.ts";
import { createJobCatalog, type JobCatalog, jobKindOverrideSchema } from "./jobCatalog.ts";

/** The job catalog with the operator's per-kind settings (`SLUICE_JOBS`) applied. */
export function jobCatalogFromConfig(config: SluiceConfig): JobCatalog {
  const overrides: Record<string, ReturnType<typeof jobKindOverrideSchema.parse>> = {};
  for (const [kind, raw] of Object.entries(config.jobs.kinds)) {
    const parsed = jobKindOverrideSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError([
        {
          variable: "SLUICE_JOBS",
          message: `${kind}.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "is invalid"}`,
        },
      ]);
    }
    overrides[kind] = parsed.data;
  }
  try {
    return createJobCatalog(overrides);
  } catch (error) {
    throw new ConfigError([{ variable: "SLUICE_JOBS", message: (error as Error).message }]);
  }
}
