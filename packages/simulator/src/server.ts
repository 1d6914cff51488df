import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type SimClock, systemClock } from "./clock.ts";
import { ticketDataset } from "./dataset/ticketDataset.ts";
import { createTicketIndex } from "./dataset/ticketIndex.ts";
import { decideFault, type FaultConfig } from "./faults.ts";
import { sendError, type Wire } from "./providerErrors.ts";
import { seededRandom } from "./random.ts";
import { matchRoute } from "./routes.ts";
import type { BatchTimings, LatencyMode, SimRequest, SimState } from "./simContext.ts";

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: number;
  latency?: LatencyMode;
  faults?: FaultConfig;
  /**
   * Chance (0–1, default 0) that the weakest models (quality ≤ 0.6) write tool-call arguments that
   * break the tool's schema; models of quality ≥ 0.9 never do, those between in proportion.
   * The `x-sim-invalid-tool-calls` header overrides it per request.
   */
  invalidToolCallRate?: number;
  clock?: SimClock;
  batchTimings?: Partial<BatchTimings>;
  /** When set, only these API keys are accepted. */
  apiKeys?: string[];
}

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL without `/v1` (the Anthropic SDK's base URL; OpenAI's is `${url}/v1`). */
  url: string;
  port: number;
  clock: SimClock;
  /** Replaces the fault probabilities for the requests that follow. */
  setFaults(faults: FaultConfig): void;
  /** Replaces the invalid tool-call rate for the requests that follow. */
  setInvalidToolCallRate(rate: number): void;
  /** How many requests each route path has received (`POST /v1/responses` → 2), to see which API served a call. */
  readonly served: ReadonlyMap<string, number>;
  /** Requests received whose response has not ended yet (tests wait on it for a call under way). */
  readonly openRequests: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-api-key"];
  if (typeof header === "string" && header) return header;
  const auth = req.headers.authorization;
  return auth?.startsWith("Bearer ") ? auth.slice(7).trim() || undefined : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error("body too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Starts an OpenAI- and Anthropic-compatible LLM simulator. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sockets = new Set<Socket>();
  const pendingSleeps = new Set<() => void>();
  let closing = false;
  let counter = 0;
  let openRequests = 0;
  const served = new Map<string, number>();
  const seed = options.seed ?? 42;
  const tickets = ticketDataset(seed);
  const state: SimState = {
    seed,
    latency: options.latency ?? "none",
    faults: options.faults ?? {},
    invalidToolCallRate: options.invalidToolCallRate ?? 0,
    clock: options.clock ?? systemClock,
    random: seededRandom(seed ^ 0x5eed),
    tickets,
    ticketIndex: createTicketIndex(tickets),
    batchTimings: { validatingMs: 1_000, inProgressMs: 5_000, finalizingMs: 1_000, ...options.batchTimings },
    apiKeys: options.apiKeys ? new Set(options.apiKeys) : undefined,
    nextId: (prefix) => `${prefix}_${(++counter).toString(36).padStart(6, "0")}`,
    sleep: (ms) =>
      ms <= 0 || closing
        ? Promise.resolve()
        : new Promise((resolve) => {
            const done = () => {
              clearTimeout(timer);
              pendingSleeps.delete(done);
              resolve();
            };
            const timer = setTimeout(done, ms);
            pendingSleeps.add(done);
          }),
    stores: new Map(),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator");
    const found = matchRoute(req.method ?? "GET", url.pathname);
    const wire: Wire =
      found?.route.wire ?? (url.pathname.startsWith("/v1/messages") ? "anthropic" : "openai");
    const key = apiKeyOf(req);
    if (!key || (state.apiKeys && !state.apiKeys.has(key))) {
      return sendError(res, wire, 401, key ? "invalid x-api-key" : "You didn't provide an API key.", {
        code: "invalid_api_key",
      });
    }
    if (!found) return sendError(res, wire, 404, `Unknown request URL: ${req.method} ${url.pathname}`);
    const route = `${req.method} ${url.pathname}`;
    served.set(route, (served.get(route) ?? 0) + 1);
    const rawBody = await readBody(req);
    let body: unknown;
    const type = req.headers["content-type"] ?? "";
    if (rawBody.length > 0 && type.includes("json")) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        return sendError(res, wire, 400, "We could not parse the JSON body of your request.");
      }
    }
    const fault = found.route.faultable
      ? decideFault(req, state.faults, state.random)
      : { kind: undefined, retryAfterSeconds: 0 };
    if (fault.kind === "429") {
      return sendError(res, wire, 429, "Rate limit reached for requests", {
        code: "rate_limit_exceeded",
        headers: { "retry-after": String(fault.retryAfterSeconds) },
      });
    }
    if (fault.kind === "500")
      return sendError(res, wire, 500, "The server had an error while processing your request.");
    if (fault.kind === "503") {
      return sendError(
        res,
        wire,
        wire === "anthropic" ? 529 : 503,
        "The engine is currently overloaded, please try again later.",
        {
          headers: { "retry-after": String(fault.retryAfterSeconds) },
        },
      );
    }
    if (fault.kind === "reset") return void req.socket.destroy();
    if (fault.kind === "timeout") return;
    // A fixed latency holds every model request for the same time (load tests of callers).
    const latency = state.latency;
    if (found.route.faultable && typeof latency === "object" && "fixedMs" in latency)
      await state.sleep(latency.fixedMs);
    const ctx: SimRequest = { req, res, url, params: found.params, body, rawBody, fault, state };
    await found.route.handle(ctx);
  }

  const server = createServer((req, res) => {
    openRequests += 1;
    res.once("close", () => {
      openRequests -= 1;
    });
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, "openai", 500, `simulator error: ${String(error)}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    clock: state.clock,
    setFaults: (faults) => {
      state.faults = faults;
    },
    setInvalidToolCallRate: (rate) => {
      state.invalidToolCallRate = rate;
    },
    served,
    get openRequests() {
      return openRequests;
    },
    close: async () => {
      closing = true;
      for (const wake of pendingSleeps) wake();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
