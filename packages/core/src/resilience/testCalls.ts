import { SluiceError } from "../errors/sluiceError.ts";

/** A call whose outcomes are scripted: each entry is an error to throw or a value to return. */
export function scripted<T>(outcomes: (SluiceError | T)[]) {
  const signals: AbortSignal[] = [];
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    signals,
    fn: async (signal: AbortSignal): Promise<T> => {
      signals.push(signal);
      const outcome = outcomes[Math.min(calls, outcomes.length - 1)];
      calls++;
      if (outcome instanceof SluiceError) throw outcome;
      return outcome as T;
    },
  };
}

/** A call that never finishes on its own and rejects when its signal aborts. */
export function hanging(started: AbortSignal[] = []) {
  return (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      started.push(signal);
      signal.addEventListener("abort", () => reject(new Error("aborted by signal")), { once: true });
    });
}

export const unavailable = () => new SluiceError("service_unavailable", "down");
export const rateLimited = (retryAfterMs: number) =>
  new SluiceError("rate_limit_exceeded", "slow down", { retryAfterMs });
