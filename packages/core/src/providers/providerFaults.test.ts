import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type FaultKind, startSimulator } from "@sluice/simulator";
import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { createAnthropicProvider } from "./anthropicProvider.ts";
import { createOpenAiProvider } from "./openaiProvider.ts";
import type { Provider, ProviderChatRequest } from "./provider.ts";

const request: ProviderChatRequest = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "hello" }],
  maxTokens: 50,
};

async function withFault<T>(kind: FaultKind, fn: (providers: Provider[]) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ faults: { [kind]: 1 } });
  try {
    return await fn([
      createOpenAiProvider({ name: "sim-openai", apiKey: "k", baseUrl: `${sim.url}/v1`, timeoutMs: 300 }),
      createAnthropicProvider({ name: "sim-anthropic", apiKey: "k", baseUrl: sim.url, timeoutMs: 300 }),
    ]);
  } finally {
    await sim.close();
  }
}

const forFamily = (p: Provider): ProviderChatRequest =>
  p.family === "anthropic" ? { ...request, model: "claude-haiku-4-5" } : request;

async function failure(run: () => Promise<unknown>): Promise<SluiceError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw new Error(`expected a SluiceError, got ${String(error)}`);
  }
  throw new Error("expected a failure");
}

async function drain(p: Provider, r: ProviderChatRequest): Promise<void> {
  for await (const _ of p.stream(r, { signal: new AbortController().signal })) {
    // consume
  }
}

const signal = () => new AbortController().signal;

describe("provider faults become SluiceErrors", () => {
  it("429 → rate_limit_exceeded carrying Retry-After", async () => {
    await withFault("429", async (providers) => {
      for (const p of providers) {
        const e = await failure(() => p.complete(forFamily(p), { signal: signal() }));
        expect([e.code, e.retryAfterMs, e.retriable]).toEqual(["rate_limit_exceeded", 1000, true]);
      }
    });
  });

  it("500 → model_error, 503/529 → service_unavailable", async () => {
    await withFault("500", async (providers) => {
      for (const p of providers)
        expect((await failure(() => p.complete(forFamily(p), { signal: signal() }))).code).toBe(
          "model_error",
        );
    });
    await withFault("503", async (providers) => {
      for (const p of providers) {
        expect((await failure(() => p.complete(forFamily(p), { signal: signal() }))).code).toBe(
          "service_unavailable",
        );
      }
    });
  });

  it("a reset connection → service_unavailable", async () => {
    await withFault("reset", async (providers) => {
      for (const p of providers) {
        expect((await failure(() => p.complete(forFamily(p), { signal: signal() }))).code).toBe(
          "service_unavailable",
        );
      }
    });
  });

  it("no answer → timeout", async () => {
    await withFault("timeout", async (providers) => {
      for (const p of providers)
        expect((await failure(() => p.complete(forFamily(p), { signal: signal() }))).code).toBe("timeout");
    });
  });

  it("a malformed body or a stream cut mid-way → model_error", async () => {
    await withFault("malformed", async (providers) => {
      for (const p of providers) {
        expect((await failure(() => p.complete(forFamily(p), { signal: signal() }))).code).toBe(
          "model_error",
        );
        expect((await failure(() => drain(p, forFamily(p)))).code).toBe("model_error");
      }
    });
    await withFault("cut", async (providers) => {
      for (const p of providers)
        expect((await failure(() => drain(p, forFamily(p)))).code).toBe("model_error");
    });
  });

  it("slow tokens still complete", async () => {
    await withFault("slow", async (providers) => {
      const events = [];
      for await (const e of providers[0]!.stream({ ...request, maxTokens: 4 }, { signal: signal() }))
        events.push(e);
      expect(events.at(-1)?.type).toBe("done");
    });
  });

  it("an unknown upstream model → model_error that retrying cannot fix", async () => {
    const sim = await startSimulator();
    try {
      const p = createOpenAiProvider({ name: "sim", apiKey: "k", baseUrl: `${sim.url}/v1` });
      const e = await failure(() => p.complete({ ...request, model: "no-such-model" }, { signal: signal() }));
      expect([e.code, e.retriable]).toEqual(["model_error", false]);
    } finally {
      await sim.close();
    }
  });

  it("a well-formed body of the wrong shape → model_error", async () => {
    const bodies = [
      { id: "x", choices: [] },
      { id: "x", choices: [{ message: { content: 42 } }], usage: { prompt_tokens: 1, completion_tokens: 1 } },
      { type: "message" },
    ];
    let next = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(bodies[next++ % bodies.length]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const openai = createOpenAiProvider({ name: "odd", apiKey: "k", baseUrl: url });
      const anthropic = createAnthropicProvider({ name: "odd", apiKey: "k", baseUrl: url });
      expect((await failure(() => openai.complete(request, { signal: signal() }))).code).toBe("model_error");
      expect((await failure(() => openai.complete(request, { signal: signal() }))).code).toBe("model_error");
      const e = await failure(() =>
        anthropic.complete({ ...request, model: "claude-haiku-4-5" }, { signal: signal() }),
      );
      expect([e.code, e.message]).toEqual(["model_error", expect.stringContaining("malformed")]);
    } finally {
      server.close();
    }
  });
});
