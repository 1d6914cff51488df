import type { IncomingMessage } from "node:http";

/** Failures the simulator can inject. */
export const faultKinds = ["429", "500", "503", "reset", "timeout", "cut", "slow", "malformed"] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Probability (0–1) of each fault on any request. */
export type FaultConfig = Partial<Record<FaultKind, number>>;

/** The fault chosen for one request, if any, and the Retry-After to send with a 429/503. */
export interface FaultDecision {
  kind: FaultKind | undefined;
  retryAfterSeconds: number;
}

function isFault(value: string): value is FaultKind {
  return (faultKinds as readonly string[]).includes(value);
}

/** Decides a request's fault: the `x-sim-fault` header first, then the configured probabilities. */
export function decideFault(req: IncomingMessage, config: FaultConfig, random: () => number): FaultDecision {
  const retryAfterSeconds = Number(req.headers["x-sim-retry-after"] ?? 1);
  const header = String(req.headers["x-sim-fault"] ?? "").trim();
  if (header && isFault(header)) {
    const probability = Number(req.headers["x-sim-fault-probability"] ?? 1);
    return { kind: random() < probability ? header : undefined, retryAfterSeconds };
  }
  for (const kind of faultKinds) {
    const p = config[kind];
    if (p && random() < p) return { kind, retryAfterSeconds };
  }
  return { kind: undefined, retryAfterSeconds };
}
