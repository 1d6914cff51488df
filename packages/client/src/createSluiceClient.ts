import type { AppRouter } from "@sluice/api";
import { createTRPCClient, httpBatchLink, type TRPCClient } from "@trpc/client";
import superjson from "superjson";

/** Options for {@link createSluiceClient}. */
export interface SluiceClientOptions {
  /** Base URL of the Sluice API, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** API key sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Extra headers on every request (e.g. `X-Request-ID`). */
  headers?: Record<string, string>;
  /** Custom fetch (tests, proxies). */
  fetch?: ClientFetch;
}

/** A fetch implementation the client accepts. */
export type ClientFetch = NonNullable<Parameters<typeof httpBatchLink>[0]["fetch"]>;

/** A typed client for every procedure of the Sluice API. */
export type SluiceClient = TRPCClient<AppRouter>;

/** Creates a typed tRPC client for the Sluice API. */
export function createSluiceClient(options: SluiceClientOptions): SluiceClient {
  const base = options.url.replace(/\/+$/, "");
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${base}/trpc`,
        transformer: superjson,
        headers: () => ({
          ...options.headers,
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}
