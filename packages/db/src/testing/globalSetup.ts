import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { withDatabase } from "../connectionUrl.ts";
import { DatabaseError } from "../errors.ts";
import { startEmbeddedPostgres } from "../postgres/embeddedPostgres.ts";
import { checkReachable } from "../postgres/resolveDatabase.ts";
import { testDatabaseUrl } from "./env.ts";
import { ensureTemplateDatabase } from "./templateDatabase.ts";
import "./providedContext.ts";

/**
 * Prints a database-layer failure to get the server as its message alone and exits 1: the message
 * says what to do, and vitest would bury it under a stack trace.
 */
async function orExit<T>(starting: Promise<T>, cleanUp = () => {}): Promise<T> {
  try {
    return await starting;
  } catch (error) {
    cleanUp();
    if (!(error instanceof DatabaseError)) throw error;
    process.stderr.write(`error: ${error.code}: ${error.message}\n`);
    process.exit(1);
  }
}

/** Vitest global setup: one server per run (DATABASE_URL's, else embedded) and a migrated template. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl: string;
  let teardown = async () => {};
  if (testDatabaseUrl) {
    adminUrl = withDatabase(testDatabaseUrl, "postgres");
    await orExit(checkReachable(adminUrl));
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-test-pg-"));
    // The server may run as the postgres user, which must be able to enter the directory.
    fs.chmodSync(dir, 0o755);
    const server = await orExit(
      startEmbeddedPostgres({ dataDir: path.join(dir, "data"), databases: [], ephemeral: true }),
      () => fs.rmSync(dir, { recursive: true, force: true }),
    );
    adminUrl = server.adminUrl;
    teardown = async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  try {
    project.provide("sluiceAdminUrl", adminUrl);
    project.provide("sluiceTemplate", await ensureTemplateDatabase(adminUrl));
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
