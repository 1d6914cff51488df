import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { type MigrationResultSet, Migrator } from "kysely/migration";
import { DatabaseError } from "./errors.ts";
import { migrations } from "./migrations/index.ts";

const MIGRATION_TABLE = "sluice_migrations";
const MIGRATION_LOCK_TABLE = "sluice_migrations_lock";
// One fixed key: every Sluice process migrating the same database waits on the same lock.
const MIGRATION_ADVISORY_LOCK = 7_212_514_001;

/** One migration and whether it has been applied. */
export interface MigrationStatus {
  name: string;
  executedAt: Date | null;
}

/** What a migrate call did. */
export interface MigrateOutcome {
  applied: string[];
  reverted: string[];
}

type AnyDb = Kysely<any>;

function migratorFor(db: AnyDb): Migrator {
  return new Migrator({
    // Migrations name snake_case columns themselves: run them without the camelCase plugin.
    db: db.withoutPlugins(),
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/**
 * Runs `fn` while holding a session advisory lock on a dedicated connection, so two processes
 * migrating at once apply one set (Kysely's own lock does not cover creating its tables).
 */
async function withMigrationLock<T>(db: AnyDb, fn: () => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_ADVISORY_LOCK})`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_ADVISORY_LOCK})`.execute(conn);
    }
  });
}

function outcomeOf({ error, results }: MigrationResultSet): MigrateOutcome {
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const which = failed ? ` in ${failed.migrationName}` : "";
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseError("migration_failed", `migration failed${which}: ${reason}`, { cause: error });
  }
  const ok = (results ?? []).filter((r) => r.status === "Success");
  return {
    applied: ok.filter((r) => r.direction === "Up").map((r) => r.migrationName),
    reverted: ok.filter((r) => r.direction === "Down").map((r) => r.migrationName),
  };
}

/** Applies every pending migration. */
export async function migrateToLatest(db: AnyDb): Promise<MigrateOutcome> {
  return withMigrationLock(db, async () => outcomeOf(await migratorFor(db).migrateToLatest()));
}

/** Applies the next pending migration, if any. */
export async function migrateUp(db: AnyDb): Promise<MigrateOutcome> {
  return withMigrationLock(db, async () => outcomeOf(await migratorFor(db).migrateUp()));
}

/** Reverts the most recently applied migration, if any. */
export async function migrateDown(db: AnyDb): Promise<MigrateOutcome> {
  return withMigrationLock(db, async () => outcomeOf(await migratorFor(db).migrateDown()));
}

/** Every known migration with the time it was applied (null when pending). */
export async function migrationStatus(db: AnyDb): Promise<MigrationStatus[]> {
  const infos = await migratorFor(db).getMigrations();
  return infos.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}

/** A fingerprint of the migration set, so cached template databases rebuild when it changes. */
export function migrationsFingerprint(): string {
  const hash = createHash("sha256");
  for (const [name, m] of Object.entries(migrations).sort(([a], [b]) => a.localeCompare(b))) {
    hash
      .update(name)
      .update(m.up.toString())
      .update(m.down?.toString() ?? "");
  }
  return hash.digest("hex").slice(0, 12);
}
