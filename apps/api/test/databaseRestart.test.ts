import type { Db } from "@sluice/db";
import { sql } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApiOnEmbeddedPostgres, type TestApi } from "./testApi.ts";

// Postgres restarted under load: while it is down the API answers 503 service_unavailable (never a
// 500, never a request left hanging); once it is back everything reconnects, and every job it
// accepted completes.
let stack: Awaited<ReturnType<typeof startTestApiOnEmbeddedPostgres>>;
let db: Db;
let api: TestApi;

beforeAll(async () => {
  stack = await startTestApiOnEmbeddedPostgres({ worker: true });
  ({ db, api } = stack);
});
afterAll(() => stack.close());

interface Outcome {
  what: string;
  status: number;
  ms: number;
  code?: string;
  jobId?: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

async function send(
  what: string,
  key: string,
  init: { method: string; path: string; body?: unknown },
): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await fetch(`${api.url}${init.path}`, {
      method: init.method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => ({}))) as {
      id?: string;
      error?: { code?: string; json?: { data?: { error?: { code?: string } } } };
    };
    const code = body.error?.code ?? body.error?.json?.data?.error?.code;
    return {
      what,
      status: res.status,
      ms: performance.now() - started,
      ...(typeof code === "string" ? { code } : {}),
      ...(res.status === 202 && body.id ? { jobId: body.id } : {}),
    };
  } catch (error) {
    // A request that never answered (or a dropped connection) is a failure of its own.
    return { what, status: 0, ms: performance.now() - started, code: (error as Error).name };
  }
}

/** Requests in one wave of {@link traffic}. */
const WAVE = 5;

function traffic(key: string, n: number): Promise<Outcome>[] {
  return [
    send("chat", key, {
      method: "POST",
      path: "/v1/chat/completions",
      body: { model: "sim-small", messages: [{ role: "user", content: `restart ${n}` }], max_tokens: 5 },
    }),
    send("enqueue", key, {
      method: "POST",
      path: "/v1/jobs",
      body: {
        kind: "chat.complete",
        payload: {
          request: { model: "sim-small", messages: [{ role: "user", content: `job ${n}` }], max_tokens: 5 },
        },
      },
    }),
    send("list jobs", key, { method: "GET", path: "/v1/jobs?limit=5" }),
    send("models", key, { method: "GET", path: "/v1/models" }),
    send("tRPC jobs.list", key, {
      method: "GET",
      path: `/trpc/jobs.list?input=${encodeURIComponent(JSON.stringify({ json: { limit: 5 } }))}`,
    }),
  ];
}

describe("Postgres restarted under load", () => {
  it("answers 503 while it is down, never 500 or a hang, and recovers with no accepted job lost", {
    timeout: 120_000,
  }, async () => {
    const outcomes: Outcome[] = [];
    let n = 0;
    let phase: "before" | "down" | "after" = "before";
    const phases: Record<string, Outcome[]> = { before: [], down: [], after: [] };
    let running = true;
    const load = (async () => {
      while (running) {
        const wave = await Promise.all(traffic(api.a.key, n++));
        outcomes.push(...wave);
        // A wave counts in the phase it ended in: one that began just before the stop may see it.
        phases[phase]!.push(...wave);
        // Wall time on purpose: the load is a steady stream of waves, not a flood.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const waves = (p: keyof typeof phases) => phases[p]!.length / WAVE;
    await expect.poll(() => waves("before"), { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    phase = "down";
    await stack.stopDatabase();
    // Down long enough for every part of the stack to notice: several waves answered while it is.
    await expect.poll(() => waves("down"), { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(5);
    await stack.restartDatabase();
    phase = "after";
    // Recovery: wait until a whole wave succeeds, then keep the load on a little longer.
    await expect
      .poll(
        async () =>
          (await Promise.all(traffic(api.a.key, n++))).every((o) => o.status >= 200 && o.status < 300),
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toBe(true);
    await expect.poll(() => waves("after"), { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    // On a slow machine the waves are fewer: keep the load on until enough jobs were accepted for
    // the check below to mean something.
    await expect
      .poll(() => outcomes.filter((o) => o.jobId).length, { timeout: 30_000, interval: 100 })
      .toBeGreaterThan(10);
    running = false;
    await load;

    const bad = outcomes.filter((o) => o.status === 0 || (o.status >= 500 && o.status !== 503));
    const downCodes = new Set(
      phases.down!.filter((o) => o.status >= 400).map((o) => `${o.status} ${o.code}`),
    );
    console.log(
      `database restart: ${outcomes.length} requests (${phases.before!.length} before, ${phases.down!.length} while down, ${phases.after!.length} after); answers while down: ${[...downCodes].join(", ") || "none failed"}; slowest ${Math.round(Math.max(...outcomes.map((o) => o.ms)))} ms`,
    );
    expect(bad, "no 500s and no request without an answer").toEqual([]);
    for (const o of outcomes.filter((x) => x.status === 503)) expect(o.code).toBe("service_unavailable");
    expect(phases.down!.some((o) => o.status === 503)).toBe(true);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(
      phases.before!.filter((o) => o.status >= 300),
      "every request before the outage succeeded",
    ).toEqual([]);

    // Every job the API accepted (202), before, during or after the outage, completes.
    const accepted = outcomes.filter((o) => o.jobId).map((o) => o.jobId!);
    expect(accepted.length).toBeGreaterThan(10);
    const unfinished = () =>
      db
        .selectFrom("jobs")
        .selectAll()
        .where("id", "in", accepted)
        .where("status", "!=", "completed")
        .execute();
    await expect
      .poll(async () => (await unfinished()).length, { timeout: 60_000, interval: 250 })
      .toBe(0)
      .catch(async (error: Error) => {
        // Say where each stuck job stands, in the mirror, its events and pg-boss, in the failure itself.
        const stuck = await unfinished();
        const ids = stuck.map((j) => j.id);
        const { rows: queue } = await sql`
          select id, name, state, retry_count, retry_limit, created_on, start_after, started_on,
            completed_on, output from pgboss.job where id = any(${ids}::uuid[]) or source_id = any(${ids}::uuid[])`.execute(
          db,
        );
        const { rows: events } = await sql`
          select job_id, type, data, created_at from job_events where job_id = any(${ids}::uuid[])
          order by id`.execute(db);
        const mirror = stuck.map((j) => ({
          id: j.id,
          status: j.status,
          attempts: j.attempts,
          maxAttempts: j.maxAttempts,
          errorCode: j.errorCode,
          errorMessage: j.errorMessage,
          createdAt: j.createdAt,
          startedAt: j.startedAt,
          runAt: j.runAt,
          updatedAt: j.updatedAt,
        }));
        error.message += `\njobs not completed: ${JSON.stringify({ mirror, events, queue }, null, 1)}`;
        throw error;
      });
  });
});
