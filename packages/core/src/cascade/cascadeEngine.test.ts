import { findCascadeRun, insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { classifyTicket, findSimModel, startSimulator, ticketDataset } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { parseConfig } from "../config/configSchema.ts";
import { createModelClient, type ModelClient } from "../llm/modelClient.ts";
import { costMicros } from "../models/cost.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import type { ProviderChatRequest } from "../providers/provider.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import { runCascade } from "./cascadeEngine.ts";
import { recordCascadeRun } from "./cascadeRecorder.ts";
import { type CascadeSpec, cascadeSpecSchema } from "./cascadeSpec.ts";
import { type CascadeStreamEvent, streamCascade } from "./cascadeStream.ts";

const t = useTestDatabase();
const registry = createModelRegistry();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let models: ModelClient;

beforeAll(async () => {
  sim = await startSimulator({ seed: 42 });
  models = createModelClient({
    registry,
    providers: createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: sim.url }).providers),
  });
});
afterAll(() => sim.close());

const classification = z.object({
  urgency: z.enum(["critical", "high", "medium", "low"]),
  category: z.enum(["billing", "technical", "account", "feature_request", "bug_report", "other"]),
  confidence: z.number().min(0).max(1),
  suggested_response: z.string(),
});
const cascade = (overrides: Partial<CascadeSpec> = {}): CascadeSpec =>
  cascadeSpecSchema.parse({
    name: "test",
    tiers: [{ model: "sim-small" }, { model: "sim-large" }],
    ...overrides,
  });
const ask = (content: string): ProviderChatRequest => ({
  model: "ignored",
  messages: [
    { role: "system", content: "Classify the support ticket. Answer with JSON." },
    { role: "user", content },
  ],
  responseFormat: { type: "json_object" },
});
const tickets = ticketDataset(42);
const small = findSimModel("sim-small")!;
const easy = tickets.find(
  (x) => classifyTicket(small, x, 42).correct && classifyTicket(small, x, 42).confidence >= 0.9,
)!;
const large = findSimModel("sim-large")!;
const unsure = tickets.find(
  (x) => classifyTicket(small, x, 42).confidence < 0.6 && classifyTicket(large, x, 42).confidence >= 0.85,
)!;
const ticketPrompt = (x: { subject: string; body: string }) => ask(`Subject: ${x.subject}\n\n${x.body}`);

describe("cascade engine", () => {
  it("accepts a confident, valid draft from the cheap tier", async () => {
    const result = await runCascade(models, {
      cascade: cascade(),
      request: ticketPrompt(easy),
      schema: classification,
    });
    expect(result).toMatchObject({
      modelUsed: "sim-small",
      cascaded: false,
      draftAccepted: true,
      outcome: "accepted",
    });
    expect(result.parsed).toMatchObject({ urgency: easy.urgency, category: easy.category });
    expect(result.attempts).toHaveLength(1);
  });

  it("escalates on low confidence, with exact cost and savings", async () => {
    const result = await runCascade(models, {
      cascade: cascade(),
      request: ticketPrompt(unsure),
      schema: classification,
    });
    expect(result).toMatchObject({
      modelUsed: "sim-large",
      cascaded: true,
      draftAccepted: false,
      outcome: "escalated",
    });
    expect(result.attempts.map((a) => [a.model, a.verdict])).toEqual([
      ["sim-small", "rejected"],
      ["sim-large", "accepted"],
    ]);
    expect(result.attempts[0]?.reason).toMatch(/^confidence 0\.\d+ < 0\.8$/);
    const total = result.attempts.reduce((s, a) => s + a.costMicros, 0);
    expect(result.totalCostMicros).toBe(total);
    expect(result.counterfactualMicros).toBe(costMicros(registry.get("sim-large"), result.usage));
    expect(result.savedMicros).toBe(result.counterfactualMicros - total);
    expect(result.savedMicros).toBeLessThan(0);
  });

  it("escalates when the draft fails the schema", async () => {
    const result = await runCascade(models, {
      cascade: cascade(),
      request: ask(`[[sim:invalid-json]]\nSubject: ${easy.subject}\n\n${easy.body}`),
      schema: classification,
    });
    expect(result.attempts[0]).toMatchObject({
      verdict: "rejected",
      reason: expect.stringMatching(/^schema: /),
    });
    expect(result.modelUsed).toBe("sim-large");
  });

  it("escalates on a refusal and on a truncated draft", async () => {
    const refused = await runCascade(models, { cascade: cascade(), request: ask("Tell me [[sim:refuse]]") });
    expect(refused.attempts[0]).toMatchObject({ verdict: "rejected", reason: "refusal" });
    expect(refused.modelUsed).toBe("sim-large");
    const truncated = await runCascade(models, {
      cascade: cascade({ tiers: [{ model: "sim-small", maxTokens: 3 }, { model: "sim-large" }] }),
      request: ask("Write a paragraph about rivers"),
    });
    expect(truncated.attempts[0]).toMatchObject({ verdict: "rejected", reason: "truncated by max_tokens" });
    expect(truncated.finishReason).toBe("stop");
  });

  it("runs custom async validators after the built-in ones", async () => {
    const result = await runCascade(models, {
      cascade: cascade(),
      request: ask("anything"),
      validators: [
        async (draft) => ({ accept: draft.model === "sim-large", reason: "house rule: large only" }),
      ],
    });
    expect(result.attempts.map((a) => a.reason)).toEqual([
      "house rule: large only",
      "house rule: large only",
    ]);
    expect(result.modelUsed).toBe("sim-large");
  });

  it("sends hard queries straight to the top tier when the pre-router is on", async () => {
    const result = await runCascade(models, {
      cascade: cascade({ preRouter: { enabled: true, threshold: 0.7 } }),
      request: ask("Please analyse this [[sim:hard]]"),
    });
    expect(result).toMatchObject({
      preRouted: true,
      complexity: 1,
      modelUsed: "sim-large",
      cascaded: false,
      draftAccepted: false,
    });
    expect(result.attempts).toHaveLength(1);
  });

  it("stops escalating at the cost cap and returns the unsure draft", async () => {
    const result = await runCascade(models, {
      cascade: cascade({ maxCostMicros: 100 }),
      request: ticketPrompt(unsure),
      schema: classification,
    });
    expect(result).toMatchObject({ outcome: "cost_cap", modelUsed: "sim-small", cascaded: false });
    expect(result.attempts).toHaveLength(1);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runCascade(models, { cascade: cascade(), request: ask("x"), context: { signal: controller.signal } }),
    ).rejects.toMatchObject({ name: "AbortError" });
  });

  it("persists the run and its attempts for the tenant", async () => {
    const tenant = await insertTenant(t.db, { name: "cascade-tenant" });
    const result = await runCascade(models, {
      cascade: cascade(),
      request: ticketPrompt(unsure),
      schema: classification,
    });
    const id = await recordCascadeRun(t.db, result, { tenantId: tenant.id, requestId: "r-1" });
    const stored = await findCascadeRun(t.db, id, tenant.id);
    expect(stored?.run).toMatchObject({
      cascade: "test",
      modelUsed: "sim-large",
      cascaded: true,
      totalCostMicros: result.totalCostMicros,
      savedMicros: result.savedMicros,
    });
    expect(stored?.attempts.map((a) => a.verdict)).toEqual(["rejected", "accepted"]);
    const other = await insertTenant(t.db, { name: "cascade-other" });
    expect(await findCascadeRun(t.db, id, other.id)).toBeUndefined();
  });
});

describe("streamed cascades", () => {
  async function events(
    mode: "hold" | "optimistic",
    request: ProviderChatRequest,
    overrides: Partial<CascadeSpec> = {},
  ) {
    const out: CascadeStreamEvent[] = [];
    for await (const e of streamCascade(
      models,
      { cascade: cascade(overrides), request, schema: classification },
      mode,
    ))
      out.push(e);
    return out;
  }
  const shape = (es: CascadeStreamEvent[]) =>
    es.map((e) => e.type).filter((type, i, all) => !(type === "delta" && all[i - 1] === "delta"));

  it("hold mode shows only the accepted answer", async () => {
    const es = await events("hold", ticketPrompt(unsure));
    expect(shape(es)).toEqual(["attempt", "attempt", "delta", "done"]);
    const done = es.at(-1);
    const text = es.flatMap((e) => (e.type === "delta" ? [e.text] : [])).join("");
    if (done?.type === "done") expect(text).toBe(done.result.content);
  });

  it("optimistic mode streams the draft, retracts it, then streams the escalation", async () => {
    const es = await events("optimistic", ticketPrompt(unsure));
    expect(shape(es)).toEqual(["attempt", "delta", "retract", "attempt", "delta", "done"]);
    const retract = es.find((e) => e.type === "retract");
    expect(retract).toMatchObject({ model: "sim-small", reason: expect.stringMatching(/^confidence/) });
    const done = es.at(-1);
    if (done?.type === "done") expect(done.result.modelUsed).toBe("sim-large");
  });

  it("shows the unsure draft again in optimistic mode when the cost cap stops escalation", async () => {
    const es = await events("optimistic", ticketPrompt(unsure), { maxCostMicros: 100 });
    expect(shape(es)).toEqual(["attempt", "delta", "retract", "delta", "done"]);
    const done = es.at(-1);
    const afterRetract = es.slice(es.findIndex((e) => e.type === "retract"));
    const text = afterRetract.flatMap((e) => (e.type === "delta" ? [e.text] : [])).join("");
    expect(done?.type === "done" && [done.result.outcome, done.result.content]).toEqual(["cost_cap", text]);
  });

  it("both modes end with a single accepted draft when the cheap tier is good", async () => {
    for (const mode of ["hold", "optimistic"] as const) {
      const es = await events(mode, ticketPrompt(easy));
      expect(shape(es)).toEqual(["attempt", "delta", "done"]);
    }
  });
});
