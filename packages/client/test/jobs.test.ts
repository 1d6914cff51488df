import { startTestApi, type TestApi } from "@sluice/api/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { ticketDataset } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluiceClient, type RouterOutputs, type SluiceClient } from "../src/createSluiceClient.ts";
import { codeOf } from "./support/apiErrors.ts";

const t = useTestDatabase();
let api: TestApi;
let admin: SluiceClient;
let a: SluiceClient;
let b: SluiceClient;

type JobEvent =
  | RouterOutputs["jobs"]["events"][number]
  | { id: number; type: "error"; data: Record<string, unknown> };

beforeAll(async () => {
  api = await startTestApi(t, { worker: true, realisticLatency: true });
  admin = createSluiceClient({ url: api.url, apiKey: api.admin.key });
  a = createSluiceClient({ url: api.url, apiKey: api.a.key });
  b = createSluiceClient({ url: api.url, apiKey: api.b.key });
});
afterAll(() => api.close());

/** Follows a job's events until `stopAfter` arrived or the stream ended. */
function follow(
  client: SluiceClient,
  id: string,
  lastEventId?: string,
  stopAfter = Number.POSITIVE_INFINITY,
) {
  return new Promise<{ ids: string[]; events: JobEvent[]; error?: unknown }>((resolve) => {
    const ids: string[] = [];
    const events: JobEvent[] = [];
    const sub = client.jobs.onEvents.subscribe(
      { id, ...(lastEventId ? { lastEventId } : {}) },
      {
        onData: ({ id: eventId, data }) => {
          ids.push(eventId);
          events.push(data as JobEvent);
          if (events.length >= stopAfter || ["completed", "dead", "cancelled", "error"].includes(data.type)) {
            sub.unsubscribe();
            resolve({ ids, events });
          }
        },
        onError: (error) => {
          sub.unsubscribe();
          resolve({ ids, events, error });
        },
      },
    );
  });
}

async function ticketIds(client: SluiceClient, n: number): Promise<string[]> {
  const created = await client.tickets.create.mutate({
    tickets: ticketDataset(7)
      .slice(0, n)
      .map((x) => ({ subject: x.subject, body: x.body, customerEmail: x.customerEmail })),
  });
  return created.map((c) => c.id);
}

describe("jobs through the typed client", () => {
  it("enqueues, lists, reads the result and history of a job", async () => {
    const kinds = await a.jobs.kinds.query();
    expect(kinds.map((k) => k.kind)).toEqual(
      expect.arrayContaining([
        "tickets.classify",
        "tickets.classifyBatch",
        "chat.complete",
        "embeddings.batch",
      ]),
    );
    expect(kinds.map((k) => k.kind)).not.toContain("webhook.deliver");
    const { job, created } = await a.jobs.enqueue.mutate({
      kind: "chat.complete",
      payload: {
        request: { model: "sim-small", messages: [{ role: "user", content: "hello" }], max_tokens: 20 },
      },
      priority: "high",
    });
    expect(created).toBe(true);
    expect(job).toMatchObject({ status: "queued", priority: "high", kind: "chat.complete" });
    const { events } = await follow(a, job.id);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["queued", "started", "completed"]));
    const result = await a.jobs.result.query({ id: job.id });
    expect(result).toMatchObject({ status: "completed", result: { modelUsed: "sim-small" } });
    expect((await a.jobs.list.query({ kind: "chat.complete" })).items.map((j) => j.id)).toContain(job.id);
    expect((await a.jobs.events.query({ id: job.id })).map((e) => e.type).at(-1)).toBe("completed");
  });

  it("streams every progress event in order, and a reconnect with the last id misses and repeats nothing", async () => {
    const ids = await ticketIds(a, 6);
    const { job } = await a.jobs.enqueue.mutate({
      kind: "tickets.classifyBatch",
      payload: { ticketIds: ids },
    });
    const first = await follow(a, job.id, undefined, 4);
    expect(first.events).toHaveLength(4);
    const rest = await follow(a, job.id, first.ids.at(-1));
    const all = [...first.events, ...rest.events];
    expect(all.map((e) => e.id)).toEqual([...new Set(all.map((e) => e.id))].sort((x, y) => x - y));
    const history = await a.jobs.events.query({ id: job.id });
    expect(all.map((e) => e.id)).toEqual(history.map((e) => e.id));
    const progress = all.filter((e) => e.type === "progress").map((e) => e.data.progress as number);
    expect(progress).toHaveLength(6);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(all.at(-1)?.type).toBe("completed");
  });

  it("cancels a queued job, retries it as a new linked job, and rejects retrying a finished one", async () => {
    const later = new Date(Date.now() + 3_600_000);
    const { job } = await a.jobs.enqueue.mutate({
      kind: "tickets.classifyBatch",
      payload: { pending: true, limit: 5 },
      runAt: later,
    });
    const cancelled = await a.jobs.cancel.mutate({ id: job.id });
    expect(cancelled.status).toBe("cancelled");
    expect(await codeOf(() => a.jobs.cancel.mutate({ id: job.id }))).toBe("conflict");
    const retried = await a.jobs.retry.mutate({ id: job.id });
    expect(retried).toMatchObject({ requeuedFrom: job.id, status: "queued" });
    expect(await codeOf(() => a.jobs.retry.mutate({ id: job.id }))).toBe("conflict");
  });

  it("rejects unknown kinds, internal kinds and bad payloads before anything is queued", async () => {
    const before = (await a.jobs.list.query({ limit: 200 })).items.length;
    expect(await codeOf(() => a.jobs.enqueue.mutate({ kind: "nope", payload: {} }))).toBe("validation_error");
    expect(
      await codeOf(() =>
        a.jobs.enqueue.mutate({ kind: "webhook.deliver", payload: { url: "https://x.example", event: "e" } }),
      ),
    ).toBe("validation_error");
    expect(
      await codeOf(() => a.jobs.enqueue.mutate({ kind: "tickets.classify", payload: { ticketId: "x" } })),
    ).toBe("validation_error");
    expect((await a.jobs.list.query({ limit: 200 })).items.length).toBe(before);
  });

  it("answers another tenant's job ids with not_found everywhere, and streams nothing", async () => {
    const { job } = await a.jobs.enqueue.mutate({
      kind: "tickets.classifyBatch",
      payload: { pending: true, limit: 1 },
      runAt: new Date(Date.now() + 3_600_000),
    });
    for (const call of [
      () => b.jobs.get.query({ id: job.id }),
      () => b.jobs.result.query({ id: job.id }),
      () => b.jobs.events.query({ id: job.id }),
      () => b.jobs.cancel.mutate({ id: job.id }),
      () => b.jobs.retry.mutate({ id: job.id }),
    ]) {
      expect(await codeOf(call)).toBe("not_found");
    }
    const stolen = await follow(b, job.id);
    expect(stolen.events).toMatchObject([{ type: "error", data: { code: "not_found" } }]);
    expect((await b.jobs.list.query({ limit: 200 })).items.map((j) => j.id)).not.toContain(job.id);
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(`${api.url}/v1/jobs/${job.id}`, {
        method,
        headers: { authorization: `Bearer ${api.b.key}` },
      });
      expect(res.status).toBe(404);
    }
    expect((await a.jobs.get.query({ id: job.id })).status).toBe("queued");
  });

  it("lets admins list, show, requeue and purge dead letters; tenants may not", async () => {
    const { job } = await a.jobs.enqueue.mutate({
      kind: "tickets.classify",
      payload: { ticketId: "00000000-0000-4000-8000-000000000000" },
    });
    await expect
      .poll(async () => (await a.jobs.get.query({ id: job.id })).status, { timeout: 15_000 })
      .toBe("dead");
    expect(await codeOf(() => a.deadLetters.list.query())).toBe("forbidden");
    const list = await admin.deadLetters.list.query({ kind: "tickets.classify" });
    expect(list.items.map((j) => j.id)).toContain(job.id);
    expect(await admin.deadLetters.get.query({ id: job.id })).toMatchObject({ error: { code: "not_found" } });
    const { requeued } = await admin.deadLetters.requeue.mutate({ ids: [job.id] });
    expect(requeued).toMatchObject([{ from: job.id }]);
    const again = requeued[0]!.job.id;
    await expect
      .poll(async () => (await a.jobs.get.query({ id: again })).status, { timeout: 15_000 })
      .toBe("dead");
    expect(
      (await admin.deadLetters.list.query({ kind: "tickets.classify" })).items.map((j) => j.id),
    ).not.toContain(job.id);
    const { purged } = await admin.deadLetters.purge.mutate({ before: new Date(Date.now() + 1000) });
    expect(purged).toBeGreaterThanOrEqual(2);
    expect(await codeOf(() => a.jobs.get.query({ id: job.id }))).toBe("not_found");
  });

  it("keeps a webhook endpoint and signing secret per tenant", async () => {
    const set = await a.webhooks.set.mutate({ url: "https://hooks.example/sluice" });
    expect(set.secret).toMatch(/^whsec_/);
    expect(await a.webhooks.get.query()).toEqual(set);
    const rotated = await a.webhooks.set.mutate({ url: "https://hooks.example/sluice", rotateSecret: true });
    expect(rotated.secret).not.toBe(set.secret);
    expect((await b.webhooks.get.query()).url).toBeNull();
    const tenants = await admin.tenants.list.query();
    expect(JSON.stringify(tenants)).not.toContain(rotated.secret!);
    await a.webhooks.set.mutate({ url: null });
  });

  it("classifies a ticket once: a second tickets.classify job for it spends nothing", async () => {
    const [ticketId] = await ticketIds(a, 1);
    const first = (
      await a.jobs.enqueue.mutate({ kind: "tickets.classify", payload: { ticketId: ticketId! } })
    ).job;
    await expect
      .poll(async () => (await a.jobs.get.query({ id: first.id })).status, { timeout: 15_000 })
      .toBe("completed");
    const second = (
      await a.jobs.enqueue.mutate({ kind: "tickets.classify", payload: { ticketId: ticketId! } })
    ).job;
    await expect
      .poll(async () => (await a.jobs.get.query({ id: second.id })).status, { timeout: 15_000 })
      .toBe("completed");
    const [r1, r2] = [
      await a.jobs.result.query({ id: first.id }),
      await a.jobs.result.query({ id: second.id }),
    ];
    expect(r2.result).toEqual(r1.result);
    // Both jobs have ended, so any call they made is in the call log: write what it holds.
    await api.services.runtime.callLog.flush();
    const calls = await t.db
      .selectFrom("llmCalls")
      .select("jobId")
      .where("jobId", "in", [first.id, second.id])
      .execute();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.jobId === first.id)).toBe(true);
  });
});
