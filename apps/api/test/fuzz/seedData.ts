import type { TestApi } from "../testApi.ts";
import type { FuzzContext } from "./fuzzCases.ts";
import { inputShapes } from "./inputShapes.ts";

/** Rows of one tenant that fuzzed ids point at. */
export interface SeededRows {
  jobId: string;
  batchId: string;
  ticketId: string;
}

async function post(api: TestApi, key: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`seeding ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** A job, a draft batch and a ticket of the tenant with this key. */
export async function seedRows(api: TestApi, key: string): Promise<SeededRows> {
  const job = (await post(api, key, "/v1/jobs", {
    kind: "chat.complete",
    payload: { request: { model: "sim-small", messages: [{ role: "user", content: "hi" }] } },
  })) as { id: string };
  const batch = (await post(api, key, "/v1/sluice/batches", { name: "fuzz", model: "sim-small" })) as {
    id: string;
  };
  const tickets = (await post(api, key, "/trpc/tickets.create", {
    json: {
      tickets: [{ subject: "Fuzz", body: "Seeded for the fuzzer", customerEmail: "fuzz@example.com" }],
    },
  })) as { result: { data: { json: { id: string }[] } } };
  return { jobId: job.id, batchId: batch.id, ticketId: tickets.result.data.json[0]!.id };
}

/**
 * Seeds rows for tenants `a` and `b` and gathers what generated inputs draw on: their ids, a spare
 * tenant's (admin procedures may disable it), and the names of models, cascades and job kinds.
 */
export async function seedFuzzData(
  api: TestApi,
): Promise<FuzzContext & { own: SeededRows; other: SeededRows }> {
  const own = await seedRows(api, api.a.key);
  const other = await seedRows(api, api.b.key);
  const spare = await api.tenant("fuzz-spare", "tenant");
  const models = api.services.runtime.registry.list().map((m) => m.id);
  const cascades = api.services.runtime.cascades.list().map((c) => c.name);
  const kinds = api.services.jobs.catalog.list().map((k) => k.kind);
  return {
    shapes: inputShapes(api),
    adminKey: api.admin.key,
    tenantKey: api.a.key,
    own,
    other,
    hints: {
      ids: [...Object.values(own), ...Object.values(other), api.b.id, spare.id],
      strings: [
        ...models,
        ...cascades,
        ...cascades.map((c) => `cascade:${c}`),
        ...kinds,
        "queued",
        "completed",
        "draft",
        "24h",
        "user",
        "assistant",
        "system",
      ],
    },
  };
}
