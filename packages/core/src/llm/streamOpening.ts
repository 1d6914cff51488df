import type { ResilienceExecutor } from "./modelClient.ts";

/**
 * Opens a provider stream under the resilience policy up to its first item: the policy covers the
 * opening (a retry there repeats nothing); once items flow, a retry would repeat them. The attempt's
 * signal guards only the first item (the policy may abort it on return); the caller's `signal`
 * guards the whole stream. Each opened iterator is handed to `opened`, so the caller can close the
 * last one whether the opening succeeds or fails.
 */
export function firstItemUnderPolicy<T>(
  resilience: ResilienceExecutor,
  modelId: string,
  signal: AbortSignal,
  open: (signal: AbortSignal) => AsyncIterable<T>,
  opened: (iterator: AsyncIterator<T>) => void,
): Promise<IteratorResult<T>> {
  return resilience.execute(
    modelId,
    async (attemptSignal) => {
      const linked = new AbortController();
      const follow = () => linked.abort(signal.reason);
      const cancelAttempt = () => linked.abort(attemptSignal.reason);
      signal.addEventListener("abort", follow, { once: true });
      attemptSignal.addEventListener("abort", cancelAttempt, { once: true });
      try {
        const iterator = open(linked.signal)[Symbol.asyncIterator]();
        opened(iterator);
        return await iterator.next();
      } finally {
        attemptSignal.removeEventListener("abort", cancelAttempt);
      }
    },
    { signal },
  );
}
