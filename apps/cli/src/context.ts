import path from "node:path";
import { loadConfig, type SluiceConfig } from "@sluice/core";
import { createDb, type Db, type ResolvedDatabase, resolveDatabase } from "@sluice/db";

/** Where the embedded database keeps its data. */
export function embeddedDataDir(config: SluiceConfig): string {
  return path.resolve(config.home, "postgres");
}

/** Resolves the database (DATABASE_URL or embedded), runs `fn`, then closes everything. */
export async function withDatabase<T>(
  fn: (db: Db, resolved: ResolvedDatabase, config: SluiceConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const resolved = await resolveDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: embeddedDataDir(config),
  });
  const db = createDb(resolved.url, { applicationName: "sluice-cli" });
  try {
    return await fn(db, resolved, config);
  } finally {
    await db.destroy();
    await resolved.stop();
  }
}
