import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  classifyRequest,
  createApiKey,
  createLlmRuntime,
  maxChatCostMicros,
  parseConfig,
  toProviderRequest,
} from "@sluice/core";
import { insertTenant } from "@sluice/db";
import { type NodeProcess, sql, startNodeProcess, useTestDatabase } from "@sluice/db/testing";
import { type RunningSimulator, startSimulator } from "@sluice/simulator";
import { getUntypedClient, type TRPCUntypedClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppRouter } from "../src/root.ts";
import { startApiProcess } from "./support/apiProcess.ts";
import { eventSourceClient } from "./support/trpcClients.ts";

// Two API processes and two worker processes share one tenant's daily budget under mixed load:
// chat calls on both APIs, ticket classification jobs on both workers, and a provider batch. The
// budget binds (some calls are refused), yet together they never spend past it, nothing stays
// reserved once all is done, and what is recorded is exactly what clients were told they spent.

const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-shared-spend-"));
const workerEntry = fileURLToPath(new URL("./main.ts", import.meta.resolve("@sluice/worker")));
let sim: RunningSimulator;
const processes: NodeProcess<unknown>[] = [];
const urls: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    seed: 42,
    batchTimings: { validatingMs: 100, inProgressMs: 400, finalizingMs: 100 },
  });
  const env = {
    ...process.env,
    DATABASE_URL: t.url,
    SLUICE_SIMULATOR_URL: sim.url,
    SLUICE_HOME: home,
    SLUICE_API_PORT: "0",
    SLUICE_BATCH_POLL_MS: "100",
    LOG_LEVEL: "warn",
  };
  const apis = await Promise.all([startApiProcess(env), startApiProcess(env)]);
  const workers = await Promise.all(
    [1, 2].map(() =>
      startNodeProcess({
        name: "worker",
        entry: workerEntry,
        env: { ...env, SLUICE_WORKER_POLL_MS: "200", SLUICE_WORKER_SUPERVISE_SECONDS: "1" },
        ready: (out) => (out.includes("sluice worker started") ? true : undefined),
      }),
    ),
  );
  processes.push(...apis, ...workers);
  urls.push(...apis.map((a) => a.ready));
}, 60_000);
afterAll(async () => {
  for (const p of processes) p.child.kill("SIGTERM");
  await Promise.all(processes.map((p) => p.exited));
  await sim?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const chatBody = (i: number) => ({
  model: "sim-small",
  messages: [{ role: "user", content: `Tell me about river number ${i}.` }],
  max_tokens: 300,
});

/** What the load's every part may cost at most, to set a budget that binds. */
function mostOf(chats: number, tickets: number, batchLines: number): number {
  const runtime = createLlmRuntime(
    parseConfig({ SLUICE_SIMULATOR_URL: sim.url, SLUICE_HOME: "/nonexistent-sluice-home" }),
    t.db,
  );
  const chat = maxChatCostMicros(runtime.registry, runtime.cascades, toProviderRequest(chatBody(0) as never));
  const ticket = maxChatCostMicros(runtime.registry, runtime.cascades, {
    ...classifyRequest({ subject: "Charged twice", body: "Please refund the second charge of this month." }),
    model: runtime.classifierModel,
  });
  void runtime.close();
  return chats * chat + tickets * ticket + batchLines * chat;
}

describe("two API processes and two workers, one tenant's budget", () => {
  it("never overspend it under chat, classification jobs and a batch, and account every micro-dollar", async () => {
    const chats = 30;
    const ticketCount = 12;
    const batchLines = 8;
    const budget = Math.floor(mostOf(chats, ticketCount, batchLines) / 3);
    const tenant = await insertTenant(t.db, { name: "shared-spend", dailyBudgetMicros: budget });
    const { plaintext: key } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    const clients: TRPCUntypedClient<AppRouter>[] = urls.map((url) =>
      getUntypedClient(
        eventSourceClient<AppRouter>({ url: `${url}/trpc`, headers: { authorization: `Bearer ${key}` } }),
      ),
    );
    const tickets = (await clients[0]!.mutation("tickets.create", {
      tickets: Array.from({ length: ticketCount }, (_, i) => ({
        subject: `Charged twice, case ${i}`,
        body: `I was charged twice this month for order ${i}, please refund the second charge.`,
        customerEmail: `customer${i}@example.com`,
      })),
    })) as { id: string }[];

    const chatLoad = Promise.all(
      Array.from({ length: chats }, async (_, i) => {
        const res = await fetch(`${urls[i % 2]}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify(chatBody(i)),
        });
        const body = (await res.json()) as { sluice?: { cost_micros: number } };
        return { status: res.status, told: body.sluice?.cost_micros ?? 0 };
      }),
    );
    const jobLoad = Promise.all(
      tickets.map(async (ticket, i) => {
        const client = clients[i % 2]!;
        const { job } = (await client.mutation("jobs.enqueue", {
          kind: "tickets.classify",
          payload: { ticketId: ticket.id },
        })) as { job: { id: string } };
        type View = {
          status: string;
          error: { code: string } | null;
          result: { costMicros?: number } | null;
        };
        const view = await vi.waitFor(
          async () => {
            const v = (await client.query("jobs.get", { id: job.id })) as View;
            if (v.status !== "completed" && v.status !== "dead")
              throw new Error(`job ${job.id} is ${v.status}`);
            return v;
          },
          { timeout: 60_000, interval: 100 },
        );
        return { status: view.status, code: view.error?.code, told: view.result?.costMicros ?? 0 };
      }),
    );
    const batchLoad = (async () => {
      const created = await clients[1]!
        .mutation("batches.create", {
          name: "shared",
          model: "sim-small",
          requests: Array.from({ length: batchLines }, (_, i) => ({
            customId: `b-${i}`,
            body: chatBody(100 + i),
          })),
          submit: true,
        })
        .then(
          (b) => b as { id: string },
          (error: unknown) => error,
        );
      if (!(created as { id?: string }).id) return { status: "refused", told: 0 };
      const id = (created as { id: string }).id;
      const batch = await vi.waitFor(
        async () => {
          const b = (await clients[0]!.query("batches.get", { id })) as {
            status: string;
            costMicros: number;
          };
          if (!["completed", "failed", "cancelled", "expired"].includes(b.status))
            throw new Error(`batch ${id} is ${b.status}`);
          return b;
        },
        { timeout: 60_000, interval: 100 },
      );
      return { status: batch.status, told: batch.costMicros };
    })();
    const [chatResults, jobResults, batchResult] = await Promise.all([chatLoad, jobLoad, batchLoad]);

    expect(chatResults.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    for (const j of jobResults) if (j.status === "dead") expect(j.code).toBe("budget_exceeded");
    const refused =
      chatResults.filter((r) => r.status === 402).length +
      jobResults.filter((j) => j.status === "dead").length;
    const served =
      chatResults.filter((r) => r.status === 200).length +
      jobResults.filter((j) => j.status === "completed").length;
    expect(refused, "the budget binds").toBeGreaterThan(0);
    expect(served, "the budget pays for some of the load").toBeGreaterThan(0);
    const told =
      chatResults.reduce((s, r) => s + r.told, 0) +
      jobResults.reduce((s, j) => s + j.told, 0) +
      batchResult.told;

    const ledger = async () => {
      const { rows } = await sql<{ spent: string; reserved: string; logged: string }>`
        select
          (select coalesce(sum(spent_micros), 0) from tenant_daily_spend where tenant_id = ${tenant.id}) as spent,
          (select coalesce(sum(reserved_micros), 0) from tenant_daily_spend where tenant_id = ${tenant.id}) as reserved,
          (select coalesce(sum(cost_micros), 0) from llm_calls where tenant_id = ${tenant.id}) as logged`.execute(
        t.db,
      );
      return {
        spent: Number(rows[0]!.spent),
        reserved: Number(rows[0]!.reserved),
        logged: Number(rows[0]!.logged),
      };
    };
    // Settled spend is written within 50 ms and idle slices go back within seconds.
    await expect
      .poll(ledger, { timeout: 20_000, interval: 200 })
      .toEqual({ spent: told, reserved: 0, logged: told });
    expect(told).toBeLessThanOrEqual(budget);
    console.log(
      `shared spend: budget ${budget}, spent ${told}; ${served} served, ${refused} refused; batch ${batchResult.status}`,
    );
  }, 120_000);
});
