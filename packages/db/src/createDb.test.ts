import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "./createDb.ts";
import { isDatabaseUnavailable } from "./errors.ts";
import { useTestDatabase } from "./testing/index.ts";

const t = useTestDatabase();
const db = createDb(t.url, { max: 2, applicationName: "sluice-dropped" });
afterAll(() => db.destroy());

/** Ends the backends of `db`'s connections, as a Postgres restart would. */
const terminate = () =>
  sql`select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'sluice-dropped' and pid <> pg_backend_pid()`.execute(t.db);

describe("a pooled connection lost while in use", () => {
  it("fails its statement or transaction with a connection error, never an uncaught exception, and the pool recovers", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      // Mid-statement.
      // Its failure is taken at once: it may arrive before the terminating query returns.
      // real time under test: a statement still running (for up to 10 s) when its connection dies.
      const sleeping = sql`select pg_sleep(10)`.execute(db).then(
        () => undefined,
        (error: unknown) => error,
      );
      await expect
        .poll(async () => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
            where application_name = 'sluice-dropped' and state = 'active' and query like '%pg_sleep%'`.execute(
            t.db,
          );
          return rows[0]?.n;
        })
        .toBe(1);
      await terminate();
      const statementError = await sleeping;
      expect(isDatabaseUnavailable(statementError)).toBe(true);
      // Between two statements of a transaction: nothing is running on the client when it dies.
      const transactionError = await db
        .transaction()
        .execute(async (tx) => {
          await sql`select 1`.execute(tx);
          await terminate();
          // real time under test: the termination reaches the client while it sits idle.
          await new Promise((r) => setTimeout(r, 200));
          await sql`select 2`.execute(tx);
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(transactionError).toBeInstanceOf(Error);
      // real time under test: no uncaught exception surfaces a moment later either.
      await new Promise((r) => setTimeout(r, 100));
      expect(uncaught).toEqual([]);
      // The broken clients were dropped: the next statements get fresh connections.
      const { rows } = await sql<{ n: number }>`select 1 as n`.execute(db);
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });
});

describe("session settings", () => {
  it("turn Postgres's JIT off unless asked for, alongside synchronous_commit", async () => {
    const settings = (handle: typeof db) =>
      sql<{ jit: string; sync: string }>`select current_setting('jit') as jit,
        current_setting('synchronous_commit') as sync`
        .execute(handle)
        .then((r) => r.rows[0]!);
    // What a connection without Sluice's settings gets from this server and database.
    const bare = new pg.Client({ connectionString: t.url });
    await bare.connect();
    const { rows } = await bare.query<{ jit: string; sync: string }>(
      "select current_setting('jit') as jit, current_setting('synchronous_commit') as sync",
    );
    await bare.end();
    const server = rows[0]!;
    const plain = createDb(t.url, { max: 1 });
    const relaxed = createDb(t.url, { max: 1, synchronousCommit: false });
    const reports = createDb(t.url, { max: 1, jit: true });
    try {
      expect(await settings(plain)).toEqual({ jit: "off", sync: server.sync });
      expect(await settings(relaxed)).toEqual({ jit: "off", sync: "off" });
      expect(await settings(reports)).toEqual(server);
    } finally {
      await Promise.all([plain.destroy(), relaxed.destroy(), reports.destroy()]);
    }
  });
});
