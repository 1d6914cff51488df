import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ProviderBatchApi, ProviderBatchRequest, ProviderBatchResult } from "./batchApi.ts";
import type { ProviderChatResult } from "./provider.ts";

// Shared by the batch API tests of each provider: a recording proxy, request builders and readers.
export const signal = () => new AbortController().signal;

export interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  body: string;
}

/** A plain HTTP proxy in front of the simulator that records what each request sent. */
export async function recordingProxy(
  target: string,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const entry: Seen = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      bytes: 0,
      body: "",
    };
    seen.push(entry);
    req.on("data", (chunk: Buffer) => {
      entry.bytes += chunk.length;
      if (entry.body.length < 100_000) entry.body += chunk.toString("utf8");
    });
    const upstream = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  return { url: await listen(server), seen, close: () => closeServer(server) };
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function* requestsOf(
  count: number,
  model: (i: number) => string,
  pulled = { n: 0 },
): AsyncIterable<ProviderBatchRequest> {
  for (let i = 0; i < count; i++) {
    pulled.n++;
    yield {
      customId: `r-${i}`,
      request: { model: model(i), messages: [{ role: "user", content: `hi ${i}` }] },
    };
  }
}

export async function* listOf(items: ProviderBatchRequest[]): AsyncIterable<ProviderBatchRequest> {
  yield* items;
}

export async function collect(api: ProviderBatchApi, id: string): Promise<Map<string, ProviderBatchResult>> {
  const state = await api.retrieve(id, { signal: signal() });
  const byId = new Map<string, ProviderBatchResult>();
  for await (const r of api.results(state, { signal: signal() })) byId.set(r.customId, r);
  return byId;
}

export async function failure(run: () => Promise<unknown>): Promise<SluiceError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw new Error(`expected a SluiceError, got ${String(error)}`);
  }
  throw new Error("expected a failure");
}

export function succeeded(r: ProviderBatchResult | undefined): ProviderChatResult {
  if (r?.status !== "succeeded") throw new Error(`expected a success, got ${JSON.stringify(r)}`);
  return r.result;
}

export const user = (customId: string, model: string, maxTokens?: number): ProviderBatchRequest => ({
  customId,
  request: {
    model,
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: `question ${customId}` },
    ],
    ...(maxTokens === undefined ? {} : { maxTokens }),
  },
});
