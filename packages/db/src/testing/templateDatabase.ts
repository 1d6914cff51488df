import pg from "pg";
import { withDatabase } from "../connectionUrl.ts";
import { createDb } from "../createDb.ts";
import { migrateToLatest, migrationsFingerprint } from "../migrator.ts";
import { installQueueSchema, queueSchemaVersion } from "../queue/jobQueue.ts";

// Serialises template builds across every test process sharing one server.
const TEMPLATE_LOCK = 7_212_514_002;

/** Runs `fn` with a client on the server's maintenance database. */
export async function withAdminClient<T>(
  adminUrl: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Makes sure a migrated template database for the current migration set exists and returns its
 * name. Built once per server and migration set; later runs reuse it.
 */
export async function ensureTemplateDatabase(adminUrl: string): Promise<string> {
  const name = `sluice_tpl_${migrationsFingerprint()}_q${queueSchemaVersion()}`;
  return withAdminClient(adminUrl, async (client) => {
    await client.query("select pg_advisory_lock($1)", [TEMPLATE_LOCK]);
    try {
      const found = await client.query<{ datistemplate: boolean }>(
        "select datistemplate from pg_database where datname = $1",
        [name],
      );
      // A template marked IS_TEMPLATE is complete; anything else is a leftover of a crashed build.
      if (found.rows[0]?.datistemplate) return name;
      if (found.rows[0]) {
        await client.query(`alter database ${client.escapeIdentifier(name)} is_template false`);
        await client.query(`drop database ${client.escapeIdentifier(name)} with (force)`);
      }
      await client.query(`create database ${client.escapeIdentifier(name)}`);
      const db = createDb(withDatabase(adminUrl, name), { max: 2 });
      try {
        await migrateToLatest(db);
        await installQueueSchema(db);
      } finally {
        await db.destroy();
      }
      await client.query(
        `alter database ${client.escapeIdentifier(name)} with is_template true allow_connections false`,
      );
      return name;
    } finally {
      await client.query("select pg_advisory_unlock($1)", [TEMPLATE_LOCK]);
    }
  });
}

/** Clones the template into a new database (a few ms) and returns its name. */
export async function cloneTemplate(adminUrl: string, template: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, async (client) => {
    await client.query(
      `create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(template)}`,
    );
  });
}

/** Drops a database, disconnecting anyone still on it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, async (client) => {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
  });
}
