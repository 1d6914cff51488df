import { createJobCatalog, createJobService, type JobService } from "@sluice/core";
import { type Db, type FetchedJob, insertTenant, type JobQueue, startJobQueue } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobClaimer, settleExpired, UncertainFetch } from "../src/engine/jobClaimer.ts";
import { createFetchDb } from "../src/engine/worker.ts";
import { testKind } from "./engineHarness.ts";

const t = useTestDatabase();
const kind = testKind("test.job-claimer");
const catalog = createJobCatalog({}, { [kind.kind]: kind });
let queue: JobQueue;
let jobs: JobService;
let scope: { tenantId: string };

beforeAll(async () => {
  queue = await startJobQueue({ connectionString: t.url });
  await queue.ensureQueues(catalog.queues());
  jobs = createJobService({ db: t.db, queue, catalog });
  scope = { tenantId: (await insertTenant(t.db, { name: "job-claimer" })).id };
});
afterAll(() => queue.stop({ graceful: false }));

// Kysely's plugin types, reached through the handle: tests take Kysely from @sluice/db only.
type Plugin = Parameters<Db["withPlugin"]>[0];

/** The statements a claimer sends through its own SQL (pg-boss's fetch bypasses plugins). */
function recording(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const plugin: Plugin = {
    transformQuery({ node }: Parameters<Plugin["transformQuery"]>[0]) {
      if (node.kind === "RawNode") statements.push(node.sqlFragments.join("?"));
      return node;
    },
    transformResult: async ({ result }: Parameters<Plugin["transformResult"]>[0]) => result,
  };
  return { db: db.withPlugin(plugin), statements };
}

/** Holds a transaction open on its own connection until `end` is called. */
async function openTransaction(
  db: Db,
): Promise<{ xid: string; end(outcome: "commit" | "rollback"): Promise<void> }> {
  let finish!: (outcome: "commit" | "rollback") => void;
  const finished = new Promise<"commit" | "rollback">((resolve) => {
    finish = resolve;
  });
  let started!: (xid: string) => void;
  const xid = new Promise<string>((resolve) => {
    started = resolve;
  });
  const done = db
    .transaction()
    .execute(async (tx) => {
      const { rows } = await sql<{ xid: string }>`select txid_current()::text as xid`.execute(tx);
      started(rows[0]!.xid);
      if ((await finished) === "rollback") throw new Error("rolled back");
    })
    .catch(() => {});
  return {
    xid: await xid,
    async end(outcome) {
      finish(outcome);
      await done;
    },
  };
}

const fetched = (id: string): FetchedJob => ({ id, queue: kind.kind, data: {}, retryCount: 0 });

describe("the job claimer", () => {
  it("fetches from an empty queue without taking a transaction id", async () => {
    const { db, statements } = recording(t.db);
    const claimer = createJobClaimer({ db, queue, timeLimitSeconds: () => 30 });
    expect(await claimer.claim(kind.kind, 5)).toEqual([]);
    expect(statements.filter((s) => s.includes("txid"))).toEqual([]);
  });

  it("learns the id of a fetch that took jobs, after the fetch", async () => {
    const { db, statements } = recording(t.db);
    const claimer = createJobClaimer({ db, queue, timeLimitSeconds: () => 30 });
    const { job } = await jobs.enqueue(scope, { kind: kind.kind, payload: {} });
    expect((await claimer.claim(kind.kind, 5)).map((j) => j.id)).toEqual([job.id]);
    expect(statements.filter((s) => s.includes("txid"))).toEqual([
      "select txid_current_if_assigned()::text as xid",
    ]);
  });

  it("hands over an uncertain fetch's jobs once its transaction is seen to commit", async () => {
    const claimer = createJobClaimer({ db: t.db, queue, timeLimitSeconds: () => 30 });
    const open = await openTransaction(t.db);
    const fetch = new UncertainFetch(open.xid, [fetched("a")], performance.now(), { cause: null });
    const settled = claimer.settle(fetch, () => false);
    await open.end("commit");
    expect((await settled).map((j) => j.id)).toEqual(["a"]);
  });

  it("gives up on an uncertain fetch still in progress once its jobs' time limit has passed", {
    timeout: 10_000,
  }, async () => {
    // Real time is what is under test: settle must stop asking once a 1 s time limit has passed.
    const claimer = createJobClaimer({ db: t.db, queue, timeLimitSeconds: () => 1 });
    const open = await openTransaction(t.db);
    try {
      const startedAt = performance.now();
      const fetch = new UncertainFetch(open.xid, [fetched("b")], startedAt, { cause: null });
      expect(await claimer.settle(fetch, () => false)).toEqual([]);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1_000);
      const { rows } = await sql<{
        status: string;
      }>`select txid_status(${open.xid}::bigint) as status`.execute(t.db);
      expect(rows[0]?.status).toBe("in progress");
    } finally {
      await open.end("rollback");
    }
  });
});

describe("settleExpired", () => {
  it("lets a settle go on within the time limit", () => {
    expect(settleExpired(0, 60)).toBe(false);
    expect(settleExpired(59_999, 60)).toBe(false);
  });

  it("stops a settle once the time limit has passed", () => {
    expect(settleExpired(60_000, 60)).toBe(true);
    expect(settleExpired(3_600_000, 60)).toBe(true);
  });
});

describe("the fetch pool", () => {
  it("ends sessions left idle in a transaction", async () => {
    const db = createFetchDb(t.url, 2);
    try {
      const { rows } = await sql<{
        idleInTransactionSessionTimeout: string;
      }>`show idle_in_transaction_session_timeout`.execute(db);
      expect(rows[0]?.idleInTransactionSessionTimeout).toBe("15s");
    } finally {
      await db.destroy();
    }
  });

  it("holds a connection for every fetch loop at once", { timeout: 20_000 }, async () => {
    const loops = 14;
    const db = createFetchDb(t.url, loops);
    const lock = 7_212_514_099;
    try {
      await t.db.connection().execute(async (holder) => {
        await sql`select pg_advisory_lock(${lock})`.execute(holder);
        // Each waits on the lock inside a transaction, as long as a slow fetch would.
        const waiting = Array.from({ length: loops }, () =>
          db.transaction().execute((tx) => sql`select pg_advisory_xact_lock_shared(${lock})`.execute(tx)),
        );
        await expect
          .poll(
            async () => {
              const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                where application_name = 'sluice-worker-fetch' and datname = current_database()
                  and wait_event_type = 'Lock'`.execute(holder);
              return rows[0]?.n;
            },
            { timeout: 10_000 },
          )
          .toBe(loops);
        await sql`select pg_advisory_unlock(${lock})`.execute(holder);
        await Promise.all(waiting);
      });
    } finally {
      await db.destroy();
    }
  });
});
