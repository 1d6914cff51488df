import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import { withDatabase } from "../connectionUrl.ts";
import { createDb, type Db } from "../createDb.ts";
import { keepTestDatabases } from "./env.ts";
import "./providedContext.ts";
import { cloneTemplate, dropDatabase } from "./templateDatabase.ts";

/** A database of the test file's own, cloned from the migrated template. */
export interface TestDatabase {
  /** Kysely handle (available inside tests and hooks). */
  readonly db: Db;
  /** Connection URL, e.g. for subprocesses. */
  readonly url: string;
  /** Database name (printed when kept after a failure). */
  readonly name: string;
  /** URL of the server's maintenance database (to create more databases). */
  readonly adminUrl: string;
}

interface TaskLike {
  result?: { state?: string };
  tasks?: TaskLike[];
}

function anyFailed(task: TaskLike): boolean {
  if (task.result?.state === "fail") return true;
  return (task.tasks ?? []).some(anyFailed);
}

/**
 * Gives the calling test file its own migrated database: created before its tests, dropped after
 * them when they all passed, kept (and named on stderr) when any failed.
 */
export function useTestDatabase(): TestDatabase {
  const adminUrl = inject("sluiceAdminUrl");
  const template = inject("sluiceTemplate");
  const name = `sluice_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const url = withDatabase(adminUrl, name);
  let db: Db | undefined;

  beforeAll(async () => {
    await cloneTemplate(adminUrl, template, name);
    db = createDb(url, { max: 5 });
  });

  // Vitest passes hook context first (it must be a destructuring pattern) and the file's suite second.
  // biome-ignore lint/correctness/noEmptyPattern: required shape of a vitest hook that reads its suite
  afterAll(async ({}, suite) => {
    await db?.destroy();
    if (anyFailed(suite as TaskLike) || keepTestDatabases) {
      console.error(`[sluice] kept test database "${name}" for inspection: ${url}`);
      return;
    }
    await dropDatabase(adminUrl, name);
  });

  return {
    get db(): Db {
      if (!db) throw new Error("the test database is available inside tests and hooks, not at import time");
      return db;
    },
    url,
    name,
    adminUrl,
  };
}
