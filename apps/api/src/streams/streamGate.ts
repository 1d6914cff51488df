import { SluiceError } from "@sluice/core";

/** One open stream's hold on its tenant's share. */
export interface StreamPass {
  /** Fires when the stream has been open for the longest time allowed. */
  readonly expired: AbortSignal;
  /** Gives the slot back (once; later calls do nothing). */
  release(): void;
}

/** Bounds the long-lived streams of one API process: how many per tenant, and for how long. */
export interface StreamGate {
  /** A pass for one more stream of the tenant, or `rate_limit_exceeded` when it holds its share. */
  open(tenantId: string): StreamPass;
  /** Streams open now for a tenant. */
  openCount(tenantId: string): number;
  readonly maxSeconds: number;
}

/** Creates the gate. */
export function createStreamGate(options: { maxPerTenant: number; maxSeconds: number }): StreamGate {
  const open = new Map<string, number>();
  return {
    maxSeconds: options.maxSeconds,
    openCount: (tenantId) => open.get(tenantId) ?? 0,
    open(tenantId) {
      const count = open.get(tenantId) ?? 0;
      if (count >= options.maxPerTenant) {
        throw new SluiceError(
          "rate_limit_exceeded",
          `too many open streams: this tenant holds ${count}, the most one API process allows (close some, or try later)`,
          { details: { limit: options.maxPerTenant }, retryAfterMs: 5_000 },
        );
      }
      open.set(tenantId, count + 1);
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(), options.maxSeconds * 1000);
      timeout.unref();
      let released = false;
      return {
        expired: timer.signal,
        release() {
          if (released) return;
          released = true;
          clearTimeout(timeout);
          const left = (open.get(tenantId) ?? 1) - 1;
          if (left > 0) open.set(tenantId, left);
          else open.delete(tenantId);
        },
      };
    },
  };
}

/** What a stream that reached its longest duration says last. */
export function streamExpiredMessage(maxSeconds: number): string {
  return `the stream reached its longest duration (${maxSeconds} s); reconnect with the last event id to continue`;
}
