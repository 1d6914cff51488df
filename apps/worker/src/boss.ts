import { PgBoss } from "pg-boss";

/** The Postgres schema pg-boss owns, apart from Sluice's tables. */
export const BOSS_SCHEMA = "pgboss";

/** Options for {@link startBoss}. */
export interface StartBossOptions {
  connectionString: string;
  /** Pool size of pg-boss's own connections (default 10). */
  max?: number;
  /** Receives pg-boss errors (connection loss, maintenance failures) instead of crashing. */
  onError?: (error: Error) => void;
}

/** Starts pg-boss in its own schema (installing or upgrading it), ready to create queues and work. */
export async function startBoss(options: StartBossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: BOSS_SCHEMA,
    application_name: "sluice-worker",
    max: options.max ?? 10,
  });
  boss.on("error", options.onError ?? (() => {}));
  await boss.start();
  return boss;
}

/** Stops pg-boss, letting running handlers finish for up to `timeoutMs`. */
export async function stopBoss(boss: PgBoss, timeoutMs = 30_000): Promise<void> {
  await boss.stop({ graceful: true, timeout: timeoutMs, close: true });
}
