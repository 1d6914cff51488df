import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimClock } from "./clock.ts";
import type { Ticket } from "./dataset/ticketDataset.ts";
import type { TicketIndex } from "./dataset/ticketIndex.ts";
import type { FaultConfig, FaultDecision } from "./faults.ts";

/** How slow the simulated models are. */
export type LatencyMode = "none" | "realistic" | { multiplier: number } | { fixedMs: number };

/** Per-phase durations of simulated batches (ms). */
export interface BatchTimings {
  validatingMs: number;
  inProgressMs: number;
  finalizingMs: number;
}

/** State shared by every handler of one simulator. */
export interface SimState {
  seed: number;
  latency: LatencyMode;
  faults: FaultConfig;
  /** Chance that the weakest models break a tool call (0 by default: calls are always valid). */
  invalidToolCallRate: number;
  clock: SimClock;
  random: () => number;
  tickets: Ticket[];
  ticketIndex: TicketIndex;
  batchTimings: BatchTimings;
  apiKeys: Set<string> | undefined;
  nextId(prefix: string): string;
  /** Resolves after `ms` unless the simulator closes first. */
  sleep(ms: number): Promise<void>;
  stores: Map<string, unknown>;
}

/** One request as a handler sees it. */
export interface SimRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  body: unknown;
  rawBody: Buffer;
  fault: FaultDecision;
  state: SimState;
}

/** Milliseconds of simulated delay, or 0 when latency is off. */
export function delayMs(state: SimState, ms: number): number {
  const latency = state.latency;
  if (latency === "none") return 0;
  if (latency === "realistic") return ms;
  return "multiplier" in latency ? ms * latency.multiplier : 0;
}

/** A store of the simulator's (files, batches), created on first use. */
export function storeOf<T>(state: SimState, name: string): Map<string, T> {
  let store = state.stores.get(name) as Map<string, T> | undefined;
  if (!store) {
    store = new Map<string, T>();
    state.stores.set(name, store);
  }
  return store;
}
