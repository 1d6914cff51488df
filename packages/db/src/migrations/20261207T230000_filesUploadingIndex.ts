import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Uploads cut off by a crash stay `uploaded` (hidden) until the worker's upkeep deletes them: it
// finds the old ones by this index instead of scanning every file.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index files_uploading_created_idx on files (created_at) where status = 'uploaded'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index files_uploading_created_idx`.execute(db);
}
