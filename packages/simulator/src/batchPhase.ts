import { type BatchTimings, type SimState, storeOf } from "./simContext.ts";

/** Where a simulated batch is in its life. */
export type BatchPhase = "validating" | "in_progress" | "finalizing" | "done";

/** The phase of a batch created at `createdAt`, now. */
export function batchPhase(createdAt: number, now: number, timings: BatchTimings): BatchPhase {
  const elapsed = now - createdAt;
  if (elapsed < timings.validatingMs) return "validating";
  if (elapsed < timings.validatingMs + timings.inProgressMs) return "in_progress";
  if (elapsed < timings.validatingMs + timings.inProgressMs + timings.finalizingMs) return "finalizing";
  return "done";
}

/**
 * How many of `total` requests a running batch has worked through by `now`, as real providers
 * report while a batch is in progress: none while validating, then evenly through `in_progress`.
 */
export function requestsProcessed(
  createdAt: number,
  now: number,
  timings: BatchTimings,
  total: number,
): number {
  const elapsed = now - createdAt - timings.validatingMs;
  if (elapsed <= 0) return 0;
  if (timings.inProgressMs <= 0 || elapsed >= timings.inProgressMs) return total;
  return Math.floor((total * elapsed) / timings.inProgressMs);
}

/** When a phase starts, relative to creation. */
export function phaseStart(createdAt: number, phase: BatchPhase, timings: BatchTimings): number {
  if (phase === "validating") return createdAt;
  if (phase === "in_progress") return createdAt + timings.validatingMs;
  if (phase === "finalizing") return createdAt + timings.validatingMs + timings.inProgressMs;
  return createdAt + timings.validatingMs + timings.inProgressMs + timings.finalizingMs;
}

/**
 * Batch-only prompt cues: `[[sim:batch-error]]` fails the item (a server error) every time,
 * `[[sim:batch-error-once]]` fails it the first time its body is seen and answers it after that
 * (a transient failure, for retries), `[[sim:batch-expire]]` expires it (Anthropic).
 */
export function batchCue(body: unknown, state?: SimState): "error" | "expire" | undefined {
  const text = JSON.stringify(body ?? null);
  if (text.includes("[[sim:batch-error]]")) return "error";
  if (text.includes("[[sim:batch-error-once]]") && state) {
    const seen = storeOf<true>(state, "batchErrorsOnce");
    if (seen.has(text)) return undefined;
    seen.set(text, true);
    return "error";
  }
  if (text.includes("[[sim:batch-expire]]")) return "expire";
  return undefined;
}
