import { randomUUID } from "node:crypto";
import { getUntypedClient, TRPCClientError, type TRPCUntypedClient } from "@trpc/client";
import { expect } from "vitest";
import type { AppRouter } from "../../src/root.ts";
import type { TestApi } from "../testApi.ts";
import { eventSourceClient } from "./trpcClients.ts";

/** How the gate refuses: an empty budget (402) or a spent rate limit (429). */
export type Refusal = "budget" | "rate";
export const STATUS: Record<Refusal, number> = { budget: 402, rate: 429 };
export const CODE: Record<Refusal, string> = { budget: "budget_exceeded", rate: "rate_limit_exceeded" };

/** A tenant the gate refuses, with what its rows need made beforehand. */
export interface Caller {
  refusal: Refusal;
  tenantId: string;
  key: string;
  client: TRPCUntypedClient<AppRouter>;
  ticketId: string;
  /** A batch input file uploaded for OpenAI's Batch API. */
  fileId: string;
  /** Drafts to submit, one per row that submits one. */
  drafts: { trpc: string; rest: string };
}

/** One way to reach a model: shows the caller refused as its refusal says. */
export type Row = (caller: Caller) => Promise<void>;

const ask = (content: string, model = "sim-small") => ({
  model,
  messages: [{ role: "user", content }],
  max_tokens: 16,
});
export const batchLine = (id: string) => ({ customId: id, body: ask(`batch ${id}`) });

export function trpcClient(api: TestApi, key: string): TRPCUntypedClient<AppRouter> {
  return getUntypedClient(
    eventSourceClient<AppRouter>({ url: `${api.url}/trpc`, headers: { authorization: `Bearer ${key}` } }),
  );
}

/** A query or mutation, refused with the caller's refusal. */
export const trpcRow =
  (type: "query" | "mutation", path: string, input: (c: Caller) => unknown): Row =>
  async (c) => {
    const call = type === "query" ? c.client.query(path, input(c)) : c.client.mutation(path, input(c));
    const error = await call.then(
      (data) => new Error(`${path} answered ${JSON.stringify(data).slice(0, 200)}`),
      (e: unknown) => e,
    );
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { httpStatus?: number; error?: { code?: string } };
    expect({ status: data.httpStatus, code: data.error?.code }, path).toEqual({
      status: STATUS[c.refusal],
      code: CODE[c.refusal],
    });
  };

/** A streaming subscription: its first event is the refusal. */
export const streamRow =
  (path: string, model: string): Row =>
  (c) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => end(new Error(`${path}: no refusal within 10 s`)), 10_000);
      let ended = false;
      // Unsubscribing completes the subscription: the first ending is the one that counts.
      const end = (error?: Error) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        sub.unsubscribe();
        if (error) reject(error);
        else resolve();
      };
      const sub = c.client.subscription(
        path,
        { streamId: randomUUID(), request: ask("stream", model) },
        {
          onData(event) {
            const data = ((event as { data?: unknown }).data ?? {}) as {
              type?: string;
              code?: string;
              error?: { code?: string };
            };
            const code = data.code ?? data.error?.code;
            if (data.type === "error" && code === CODE[c.refusal]) end();
            else end(new Error(`${path}: ${JSON.stringify(data).slice(0, 200)} before any refusal`));
          },
          onError: (error) => {
            const code = (error.data as { error?: { code?: string } } | undefined)?.error?.code;
            end(code === CODE[c.refusal] ? undefined : new Error(`${path} failed: ${error.message}`));
          },
          onComplete: () => end(new Error(`${path} completed without a refusal`)),
        },
      );
    });

/** A REST route answered with the refusal's status. */
export const restRow =
  (api: TestApi, method: string, path: (c: Caller) => string, body: (c: Caller) => unknown): Row =>
  async (c) => {
    const res = await fetch(`${api.url}${path(c)}`, {
      method,
      headers: { authorization: `Bearer ${c.key}`, "content-type": "application/json" },
      body: JSON.stringify(body(c)),
    });
    const text = await res.text();
    expect(
      { status: res.status, text: text.includes(c.refusal === "budget" ? "budget" : "rate") },
      path(c),
    ).toEqual({ status: STATUS[c.refusal], text: true });
  };

interface JobView {
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
}

/**
 * A job queued by `enqueue` (returning its id): refused by the budget, it dies at its first attempt
 * with `budget_exceeded` (no retry storm); throttled, it fails retriably with `rate_limit_exceeded`
 * and waits for its next attempt (then it is cancelled, to stop its retries).
 */
export const jobRow =
  (enqueue: (c: Caller) => Promise<string>): Row =>
  async (c) => {
    const id = await enqueue(c);
    const view = () => c.client.query("jobs.get", { id }) as Promise<JobView>;
    if (c.refusal === "budget") {
      await expect.poll(async () => (await view()).status, { timeout: 15_000 }).toBe("dead");
      expect(await view()).toMatchObject({ attempts: 1, error: { code: CODE.budget } });
      return;
    }
    await expect.poll(async () => (await view()).error?.code, { timeout: 15_000 }).toBe(CODE.rate);
    const job = await view();
    expect(job.status, "a throttled job waits for another attempt").not.toBe("dead");
    await c.client.mutation("jobs.cancel", { id });
  };

/** `POST /v1/jobs` with a kind and payload; the job's id. */
export async function restJob(api: TestApi, c: Caller, kind: string, payload: unknown): Promise<string> {
  const res = await fetch(`${api.url}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${c.key}`, "content-type": "application/json" },
    body: JSON.stringify({ kind, payload }),
  });
  expect(res.status, `POST /v1/jobs ${kind}`).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** A JSONL batch input file for OpenAI's Batch API, uploaded as the caller. */
export async function uploadBatchFile(api: TestApi, key: string): Promise<string> {
  const line = {
    custom_id: "a",
    method: "POST",
    url: "/v1/chat/completions",
    body: ask("file line"),
  };
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new Blob([`${JSON.stringify(line)}\n`]), "input.jsonl");
  const res = await fetch(`${api.url}/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

export { ask };
