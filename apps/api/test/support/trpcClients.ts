import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, type TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { EventSource } from "eventsource";
import superjson from "superjson";

/** Where a test client sends its calls, with which headers, and through which fetch. */
export interface TestClientOptions {
  /** The tRPC endpoint, e.g. `${api.url}/trpc`. */
  url: string;
  headers: Record<string, string>;
  fetch?: typeof fetch;
}

/**
 * tRPC's own subscription link over the `eventsource` package, with the headers on every
 * (re)connection: how a client without Sluice's link subscribes.
 */
export function eventSourceSubscriptionLink<TRouter extends AnyTRPCRouter>(
  options: TestClientOptions,
): TRPCLink<TRouter> {
  const fetchImpl = options.fetch ?? fetch;
  return httpSubscriptionLink({
    url: options.url,
    transformer: superjson,
    EventSource,
    eventSourceOptions: () => ({
      fetch: (input, init) => fetchImpl(input, { ...init, headers: { ...init.headers, ...options.headers } }),
    }),
  });
}

/** A typed client of tRPC's own links: subscriptions over {@link eventSourceSubscriptionLink}, the rest over `httpLink`. */
export function eventSourceClient<TRouter extends AnyTRPCRouter>(options: TestClientOptions) {
  const fetchImpl = options.fetch;
  return createTRPCClient<TRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: eventSourceSubscriptionLink(options),
        // Cast: a router type parameter hides which transformer options it takes; every router here uses superjson.
        false: httpLink<TRouter>({
          url: options.url,
          transformer: superjson,
          headers: options.headers,
          ...(fetchImpl
            ? { fetch: (u: string | URL, init: unknown) => fetchImpl(u, init as RequestInit) }
            : {}),
        } as never),
      }),
    ],
  });
}
