import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Files as OpenAI's Files API keeps them (batch inputs, batch outputs and errors), and the link
// from a batch created through OpenAI's `/v1/batches` to its input and output files.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("files")
    .addColumn("id", "text", (c) =>
      c.primaryKey().defaultTo(sql`'file-' || replace(gen_random_uuid()::text, '-', '')`),
    )
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("purpose", "text", (c) =>
      c.notNull().check(sql`purpose in ('batch', 'batch_output', 'batch_errors')`),
    )
    .addColumn("filename", "text", (c) => c.notNull().check(sql`length(filename) between 1 and 255`))
    .addColumn("bytes", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("uploaded").check(sql`status in ('uploaded', 'processed', 'error')`),
    )
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index files_tenant_created_idx on files (tenant_id, created_at desc, id desc)`.execute(db);

  // Content in chunks: uploads are written and downloads read a chunk at a time, never whole.
  await db.schema
    .createTable("file_chunks")
    .addColumn("file_id", "text", (c) => c.notNull().references("files.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("data", "bytea", (c) => c.notNull())
    .addPrimaryKeyConstraint("file_chunks_pkey", ["file_id", "seq"])
    .execute();

  // File ids are kept without foreign keys: OpenAI's batch still names a file after it is deleted.
  await db.schema
    .createTable("openai_batches")
    .addColumn("batch_id", "uuid", (c) => c.primaryKey().references("batches.id").onDelete("cascade"))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("input_file_id", "text", (c) => c.notNull())
    .addColumn("output_file_id", "text")
    .addColumn("error_file_id", "text")
    // Set once the finished batch's output and error files are written (either may be absent).
    .addColumn("files_written_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index openai_batches_tenant_created_idx on openai_batches (tenant_id, created_at desc, batch_id desc)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("openai_batches").execute();
  await db.schema.dropTable("file_chunks").execute();
  await db.schema.dropTable("files").execute();
}
