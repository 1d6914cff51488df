import type { AppRouter } from "@sluice/api";
import { createTRPCClient, httpBatchStreamLink, splitLink, type TRPCClient } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";
import { parseSuperjson } from "./parseSuperjson.ts";
import { sseSubscriptionLink } from "./sseSubscriptionLink.ts";

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
export type ClientFetch = NonNullable<Parameters<typeof httpBatchStreamLink>[0]["fetch"]>;

/** Input types of every procedure, e.g. `RouterInputs["tickets"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Output types of every procedure, e.g. `RouterOutputs["chat"]["complete"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** A typed client for every procedure of the Sluice API. */
export type SluiceClient = TRPCClient<AppRouter>;

/**
 * Creates a typed tRPC client for the Sluice API: queries and mutations over a streaming batch
 * link, subscriptions over Server-Sent Events read by {@link sseSubscriptionLink} (with the API
 * key, and resuming from the last event id after a reconnect). Runs on Node.js.
 */
export function createSluiceClient(options: SluiceClientOptions): SluiceClient {
  const base = `${options.url.replace(/\/+$/, "")}/trpc`;
  const headers = () => ({
    ...options.headers,
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: sseSubscriptionLink({ url: base, transformer: superjson, parse: parseSuperjson, headers }),
        false: httpBatchStreamLink({
          url: base,
          transformer: superjson,
          headers,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      }),
    ],
  });
}
