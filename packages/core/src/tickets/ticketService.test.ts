import { findTicket, insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import {
  findSimModel,
  classifyTicket as simClassify,
  startSimulator,
  ticketDataset,
} from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { parseConfig } from "../config/configSchema.ts";
import { createModelClient } from "../llm/modelClient.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import type { PipelineContext } from "../pipelines/pipeline.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import {
  classifyPendingTickets,
  classifyTicket,
  classifyTickets,
  createTickets,
  getTicket,
  listTickets,
  ticketStats,
} from "./ticketService.ts";

const t = useTestDatabase();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let a: PipelineContext;
let b: PipelineContext;
const dataset = ticketDataset(42);
const asInput = (x: (typeof dataset)[number]) => ({
  subject: x.subject,
  body: x.body,
  customerEmail: x.customerEmail,
});

beforeAll(async () => {
  sim = await startSimulator({ seed: 42 });
  const registry = createModelRegistry();
  const models = createModelClient({
    registry,
    providers: createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: sim.url }).providers),
  });
  const base = {
    db: t.db,
    models,
    cascades: createCascadeRegistry(registry),
    signal: new AbortController().signal,
    logger: { info() {}, warn() {}, error() {} },
  };
  a = { ...base, tenantId: (await insertTenant(t.db, { name: "tickets-a" })).id };
  b = { ...base, tenantId: (await insertTenant(t.db, { name: "tickets-b" })).id };
});
afterAll(() => sim.close());

describe("ticket operations", () => {
  it("creates many at once, or none when one is invalid (naming its index)", async () => {
    const created = await createTickets(a, dataset.slice(0, 3).map(asInput));
    expect(created.map((x) => x.subject)).toEqual(dataset.slice(0, 3).map((x) => x.subject));
    const error = await createTickets(a, [
      asInput(dataset[3]!),
      { ...asInput(dataset[4]!), customerEmail: "not-an-email" },
    ]).catch((e) => e);
    expect(error).toMatchObject({
      code: "validation_error",
      details: { issues: [expect.objectContaining({ path: "1.customerEmail" })] },
    });
    expect((await listTickets(a, { limit: 100 })).items).toHaveLength(3);
  });

  it("pages with a cursor and filters", async () => {
    await createTickets(a, dataset.slice(10, 17).map(asInput));
    const first = await listTickets(a, { limit: 4 });
    const second = await listTickets(a, { limit: 4, cursor: first.nextCursor });
    const third = await listTickets(a, { limit: 4, cursor: second.nextCursor });
    const ids = [...first.items, ...second.items, ...third.items].map((x) => x.id);
    expect(new Set(ids).size).toBe(10);
    expect(third.nextCursor).toBeNull();
    await expect(listTickets(a, { cursor: "garbage" })).rejects.toMatchObject({ code: "validation_error" });
    await expect(listTickets(a, { limit: 0 })).rejects.toMatchObject({ code: "validation_error" });
    expect((await listTickets(a, { classified: true })).items).toHaveLength(0);
  });

  it("classifies one ticket through the cascade and stores model, cost and the validated answer", async () => {
    const small = findSimModel("sim-small")!;
    const easy = dataset.find(
      (x) => simClassify(small, x, 42).correct && simClassify(small, x, 42).confidence > 0.9,
    )!;
    const [ticket] = await createTickets(a, [asInput(easy)]);
    const classified = await classifyTicket(a, "cascade:simulator", ticket!.id);
    expect(classified).toMatchObject({
      urgency: easy.urgency,
      category: easy.category,
      modelUsed: "sim-small",
    });
    expect(classified.costMicros).toBeGreaterThan(0);
    const stored = await findTicket(t.db, a.tenantId, ticket!.id);
    expect(stored).toMatchObject({
      urgency: easy.urgency,
      category: easy.category,
      modelUsed: "sim-small",
      costMicros: classified.costMicros,
    });
    expect(stored?.classifiedAt).toBeInstanceOf(Date);
    const runs = await t.db
      .selectFrom("cascadeRuns")
      .selectAll()
      .where("tenantId", "=", a.tenantId)
      .execute();
    expect(runs).toHaveLength(1);
  });

  it("never saves an invalid model answer", async () => {
    const [ticket] = await createTickets(a, [
      {
        subject: "Broken JSON",
        body: "[[sim:invalid-json]] please classify",
        customerEmail: "x@example.com",
      },
    ]);
    const error = await classifyTicket(a, "sim-small", ticket!.id).catch((e) => e);
    expect(error).toMatchObject({ code: "model_error", details: { stage: "process" } });
    const stored = await findTicket(t.db, a.tenantId, ticket!.id);
    expect([stored?.classifiedAt, stored?.urgency, stored?.costMicros]).toEqual([null, null, 0]);
  });

  it("classifies many by id and all pending, one failure not sinking the rest", async () => {
    const tickets = await createTickets(b, dataset.slice(100, 104).map(asInput));
    const results = await classifyTickets(b, "cascade:simulator", [
      tickets[0]!.id,
      "00000000-0000-4000-8000-000000000000",
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]).toMatchObject({ ok: false, error: { code: "not_found", stage: "acquire" } });
    const pending = await classifyPendingTickets(b, "cascade:simulator", { concurrency: 2 });
    expect(pending).toHaveLength(3);
    expect(pending.every((r) => r.ok)).toBe(true);
    expect(await classifyPendingTickets(b, "cascade:simulator")).toEqual([]);
  });

  it("counts by urgency and by category", async () => {
    const stats = await ticketStats(b);
    expect(stats.total).toBe(4);
    expect(stats.classified).toBe(4);
    expect(Object.values(stats.byUrgency).reduce((x, y) => x + y, 0)).toBe(4);
    expect(Object.values(stats.byCategory).reduce((x, y) => x + y, 0)).toBe(4);
    expect(stats.costMicros).toBeGreaterThan(0);
  });

  it("never shows or classifies another tenant's ticket", async () => {
    const [mine] = await createTickets(a, [asInput(dataset[200]!)]);
    await expect(getTicket(b, mine!.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(classifyTicket(b, "cascade:simulator", mine!.id)).rejects.toMatchObject({
      code: "not_found",
    });
    expect((await listTickets(b, { limit: 100 })).items.map((x) => x.id)).not.toContain(mine!.id);
    expect((await findTicket(t.db, a.tenantId, mine!.id))?.classifiedAt).toBeNull();
  });
});
