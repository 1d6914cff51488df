import type { TokenLogprob } from "../providers/provider.ts";

/** The confidence a model states in a structured answer (`confidence` in [0, 1]), if any. */
export function selfReportedConfidence(parsed: unknown): number | undefined {
  if (!parsed || typeof parsed !== "object") return undefined;
  const value = (parsed as Record<string, unknown>).confidence;
  return typeof value === "number" && value >= 0 && value <= 1 ? value : undefined;
}

/**
 * Confidence from token logprobs: the probability of the least likely word token. Punctuation and
 * whitespace are ignored so JSON framing does not mask the answer's uncertain words.
 */
export function logprobConfidence(logprobs: TokenLogprob[] | undefined): number | undefined {
  if (!logprobs || logprobs.length === 0) return undefined;
  let lowest: number | undefined;
  for (const t of logprobs) {
    if (!/[A-Za-z0-9]/.test(t.token)) continue;
    const p = Math.exp(t.logprob);
    lowest = lowest === undefined ? p : Math.min(lowest, p);
  }
  return lowest;
}
