import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type BatchService,
  costMicros,
  createBatchService,
  createLlmRuntime,
  type LlmRuntime,
  type PublicBatch,
  parseConfig,
  SIGNATURE_HEADER,
  verifyWebhook,
} from "@sluice/core";
import type { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { startProcessHarness } from "./processHarness.ts";

/** A chat request of a batch: `cue` adds a simulator cue (a failing or expiring item). */
export const request = (i: number, cue = "") => ({
  customId: `req-${i}`,
  body: { messages: [{ role: "user", content: `Say hello to number ${i}. ${cue}` }], max_tokens: 16 },
});

/** The simulator's batch clock: by default a provider batch ends within a second. */
const FAST_BATCHES = { validatingMs: 150, inProgressMs: 600, finalizingMs: 150 };

/** The simulator's clock: wall time, except while a test holds it still (its provider batches then stay where they are). */
function holdableClock() {
  let behind = 0;
  let heldAt: number | undefined;
  return {
    now: () => heldAt ?? Date.now() - behind,
    hold() {
      heldAt ??= Date.now() - behind;
    },
    release() {
      if (heldAt === undefined) return;
      behind = Date.now() - heldAt;
      heldAt = undefined;
    },
  };
}

/**
 * Worker processes, the simulator with a fast batch clock and a batch service over the test
 * database, for a test file's lifetime.
 */
export function useBatchHarness(
  t: ReturnType<typeof useTestDatabase>,
  batchTimings: typeof FAST_BATCHES = FAST_BATCHES,
) {
  let h!: Awaited<ReturnType<typeof startProcessHarness>>;
  let runtime!: LlmRuntime;
  let batches!: BatchService;
  const clock = holdableClock();

  beforeAll(async () => {
    h = await startProcessHarness(t, {
      simulator: { batchTimings, clock },
      // Webhook receivers listen on 127.0.0.1.
      env: { SLUICE_BATCH_POLL_MS: "100", SLUICE_ALLOW_PRIVATE_WEBHOOKS: "true" },
      // A poll whose worker died is taken up again within seconds.
      jobs: {
        "batch.poll": {
          timeLimitSeconds: 4,
          softTimeLimitSeconds: 3,
          retryDelaySeconds: 1,
          retryBackoff: false,
        },
      },
    });
    runtime = createLlmRuntime(
      parseConfig({ SLUICE_SIMULATOR_URL: h.simulator.url, SLUICE_HOME: "/nonexistent-sluice-home" }),
      t.db,
    );
    batches = createBatchService({ db: t.db, jobs: h.jobs, runtime });
  });
  afterAll(async () => {
    await runtime.close();
    await h.close();
  });

  /** Polls the batch until it reaches one of `statuses`, telling `onBatch` of every read. */
  async function untilBatch(
    id: string,
    statuses: PublicBatch["status"][],
    timeoutMs = 30_000,
    onBatch?: (batch: PublicBatch) => void,
  ): Promise<PublicBatch> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const batch = await batches.get(h.scope, id);
      onBatch?.(batch);
      if (statuses.includes(batch.status)) return batch;
      if (Date.now() > deadline)
        throw new Error(`batch ${id} is ${batch.status}, expected ${statuses.join("|")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function allResponses(id: string) {
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await batches.listResponses(h.scope, id, { limit: 1000, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  /** Checks every response's cost against its usage at batch pricing, and the batch's totals against them. */
  async function expectExactCosts(batch: PublicBatch) {
    const responses = await allResponses(batch.id);
    let cost = 0;
    let sync = 0;
    for (const r of responses) {
      if (r.status !== "succeeded") {
        expect(r.costMicros).toBe(0);
        continue;
      }
      const model = runtime.registry.get(r.model!);
      expect(r.costMicros).toBe(costMicros(model, r.usage, { batch: true }));
      cost += r.costMicros;
      sync += costMicros(model, r.usage);
    }
    const fresh = await batches.get(h.scope, batch.id);
    expect(fresh.costMicros).toBe(cost);
    expect(fresh.syncCostMicros).toBe(sync);
    expect(fresh.savingsMicros).toBe(sync - cost);
    return { responses, batch: fresh };
  }

  /** Every request of the batch has exactly one stored response: nothing lost, nothing twice. */
  async function expectOneResponseEach(id: string, total: number) {
    const stored = await t.db
      .selectFrom("batchResponses")
      .select("customId")
      .where("batchId", "=", id)
      .execute();
    expect(stored).toHaveLength(total);
    expect(new Set(stored.map((r) => r.customId)).size).toBe(total);
  }

  /** A received webhook is signed with the tenant's secret and tells of the batch's end. */
  async function expectSignedBatchHook(
    hook: { headers: Record<string, string | string[] | undefined>; body: string },
    batchId: string,
    status: string,
    counts: object,
  ): Promise<void> {
    const { webhookSecret } = await t.db
      .selectFrom("tenants")
      .select("webhookSecret")
      .where("id", "=", h.tenant.id)
      .executeTakeFirstOrThrow();
    expect(verifyWebhook(webhookSecret!, hook.headers[SIGNATURE_HEADER] as string, hook.body)).toBeNull();
    expect(hook.headers["sluice-event"]).toBe(`batch.${status}`);
    expect(JSON.parse(hook.body)).toMatchObject({
      event: `batch.${status}`,
      batch: { id: batchId, status, counts },
    });
  }

  return {
    /** Holds the simulator's batch clock still, or lets it run on from where it stood. */
    simulatorClock: { hold: clock.hold, release: clock.release },
    get h() {
      return h;
    },
    get runtime() {
      return runtime;
    },
    get batches() {
      return batches;
    },
    untilBatch,
    allResponses,
    expectExactCosts,
    expectOneResponseEach,
    expectSignedBatchHook,
  };
}

/** An HTTP endpoint that records the webhooks it receives. */
export async function webhookReceiver() {
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/batches`,
    received,
    close: () => new Promise((resolve) => receiver.close(resolve)),
  };
}
