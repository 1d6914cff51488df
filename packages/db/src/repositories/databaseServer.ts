import { sql } from "kysely";
import type { Db } from "../createDb.ts";

/** Runs the cheapest round trip there is; throws when the database does not answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** The server's version as Postgres reports it (e.g. `15.10`). */
export async function serverVersion(db: Db): Promise<string> {
  const { rows } = await sql<{
    version: string;
  }>`select current_setting('server_version') as version`.execute(db);
  return rows[0]!.version;
}
