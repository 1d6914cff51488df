import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJsonHttpClient, type JsonHttpClient } from "./jsonHttp.ts";
import { isAbort } from "./providerErrors.ts";

// The JSON client replaces the `openai` SDK's request path (pinned in the catalog) for plain
// completions and embeddings. Both send the same calls to one real HTTP server, which answers both
// alike: the requests it sees, the results and the errors must be the same. An upgrade of the SDK
// that changes what it sends or throws fails here.

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answers: for timeouts. */
  silent?: boolean;
}

const seen: Seen[] = [];
let answer: Answer = { status: 200, body: "{}" };
let server: http.Server;
let baseUrl = "";
let sdk: OpenAI;
let lean: JsonHttpClient;
const TIMEOUT_MS = 300;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (answer.silent) return;
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  // As the OpenAI provider sets both up.
  sdk = new OpenAI({ apiKey: "sk-test", baseURL: baseUrl, maxRetries: 0, timeout: TIMEOUT_MS });
  lean = createJsonHttpClient({
    baseUrl,
    headers: { authorization: "Bearer sk-test", "user-agent": "sluice" },
    timeoutMs: TIMEOUT_MS,
  });
});
afterAll(async () => {
  await lean.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The same call through the SDK and through the JSON client, against the same answer. */
async function both(path: string, body: unknown) {
  const signal = new AbortController().signal;
  seen.length = 0;
  const viaSdk = await outcome(() => sdk.post(`/${path}`, { body, signal }));
  const viaLean = await outcome(() => lean.post(path, body, { signal }));
  expect(seen).toHaveLength(2);
  return { viaSdk, viaLean, requests: seen.slice() };
}

/** What a request carries that the upstream acts on; the SDK's own telemetry headers are not. */
function meaning(request: Seen) {
  const { method, url, headers, body } = request;
  return {
    method,
    url,
    authorization: headers.authorization,
    contentType: headers["content-type"],
    accept: headers.accept,
    body,
  };
}

/** What callers read off an error: its class, message, status, upstream error and headers. */
function described(error: unknown) {
  if (!(error instanceof OpenAI.APIError)) {
    return { class: (error as Error).constructor.name, name: (error as Error).name };
  }
  return {
    class: error.constructor.name,
    message: error.message,
    status: error.status,
    error: error.error,
    code: error.code,
    param: error.param,
    type: error.type,
    requestID: error.requestID,
    retryAfter: error.headers?.get("retry-after"),
  };
}

const completion = {
  model: "sim-small",
  messages: [{ role: "user", content: 'Say "hi" \u2013 in JSON' }],
  max_tokens: 16,
  temperature: 0,
  response_format: { type: "json_object" },
};
const completed = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "sim-small",
  choices: [{ index: 0, message: { role: "assistant", content: '{"hi":1}' }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
};

describe("the JSON client against the openai SDK", () => {
  it("sends the same request and reads the same completion", async () => {
    answer = { status: 200, body: JSON.stringify(completed) };
    const { viaSdk, viaLean, requests } = await both("chat/completions", completion);
    expect(meaning(requests[1]!)).toEqual(meaning(requests[0]!));
    expect(meaning(requests[0]!)).toMatchObject({ method: "POST", url: "/v1/chat/completions" });
    expect(viaLean).toEqual(viaSdk);
    expect(viaLean).toEqual({ ok: true, value: completed });
  });

  it("sends what the SDK's own completion and embedding methods send", async () => {
    answer = { status: 200, body: JSON.stringify(completed) };
    seen.length = 0;
    await sdk.chat.completions.create(completion as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await lean.post("chat/completions", completion, { signal: new AbortController().signal });
    expect(meaning(seen[1]!)).toEqual(meaning(seen[0]!));

    const embedding = { model: "sim-embed", input: ["one", "two"], encoding_format: "float" };
    answer = {
      status: 200,
      body: JSON.stringify({ object: "list", data: [], model: "sim-embed", usage: { prompt_tokens: 2 } }),
    };
    seen.length = 0;
    await sdk.embeddings.create(embedding as OpenAI.EmbeddingCreateParams);
    await lean.post("embeddings", embedding, { signal: new AbortController().signal });
    expect(meaning(seen[1]!)).toEqual(meaning(seen[0]!));
  });

  it.each([
    [
      400,
      {
        error: {
          message: "maximum context length exceeded",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      },
    ],
    [
      401,
      {
        error: {
          message: "Incorrect API key provided",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    ],
    [403, { error: { message: "not allowed", type: "permission_error" } }],
    [
      404,
      {
        error: {
          message: "The model does not exist",
          type: "invalid_request_error",
          code: "model_not_found",
        },
      },
    ],
    [409, { error: { message: "conflict" } }],
    [422, { error: { message: ["a", "list"] } }],
    [429, { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }],
    [500, { error: { message: "The server had an error" } }],
    [503, { message: "overloaded, no error envelope" }],
    [418, { error: "a string error" }],
  ])("raises the same error for HTTP %i with a JSON body", async (status, body) => {
    answer = {
      status,
      headers: { "retry-after": "2", "x-request-id": `req-${status}` },
      body: JSON.stringify(body),
    };
    const { viaSdk, viaLean } = await both("chat/completions", completion);
    expect(viaSdk.ok || viaLean.ok).toBe(false);
    if (viaSdk.ok || viaLean.ok) return;
    expect(described(viaLean.error)).toEqual(described(viaSdk.error));
    expect(described(viaSdk.error)).toMatchObject({ status, requestID: `req-${status}`, retryAfter: "2" });
  });

  it.each([
    ["a text body", 502, "Bad Gateway from the proxy"],
    ["an empty body", 503, ""],
    ["a JSON null", 500, "null"],
  ])("raises the same error for %s", async (_case, status, body) => {
    answer = { status, headers: { "content-type": "text/plain" }, body };
    const { viaSdk, viaLean } = await both("chat/completions", completion);
    if (viaSdk.ok || viaLean.ok) throw new Error("both should fail");
    expect(described(viaLean.error)).toEqual(described(viaSdk.error));
  });

  it("reads an empty 2xx body as the SDK does", async () => {
    answer = { status: 200, body: "" };
    const { viaSdk, viaLean } = await both("chat/completions", completion);
    expect(viaLean).toEqual(viaSdk);
    expect(viaLean).toEqual({ ok: true, value: undefined });
  });

  it("fails the same way on a 2xx body that is not JSON", async () => {
    answer = { status: 200, body: "{truncated" };
    const { viaSdk, viaLean } = await both("chat/completions", completion);
    if (viaSdk.ok || viaLean.ok) throw new Error("both should fail");
    expect(viaLean.error).toBeInstanceOf(SyntaxError);
    expect(viaSdk.error).toBeInstanceOf(SyntaxError);
  });

  it("times out the same way when the upstream never answers", async () => {
    // Real time is what is under test: the upstream stays silent past both clients' timeout.
    answer = { status: 200, silent: true };
    const { viaSdk, viaLean } = await both("chat/completions", completion);
    if (viaSdk.ok || viaLean.ok) throw new Error("both should fail");
    expect(described(viaLean.error)).toEqual(described(viaSdk.error));
    expect(viaSdk.error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("fails the same way when nothing listens", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
    await new Promise((resolve) => closed.close(resolve));
    const sdkNowhere = new OpenAI({ apiKey: "sk-test", baseURL: url, maxRetries: 0, timeout: TIMEOUT_MS });
    const leanNowhere = createJsonHttpClient({ baseUrl: url, headers: {}, timeoutMs: TIMEOUT_MS });
    const signal = new AbortController().signal;
    const viaSdk = await outcome(() => sdkNowhere.post("/chat/completions", { body: completion, signal }));
    const viaLean = await outcome(() => leanNowhere.post("chat/completions", completion, { signal }));
    await leanNowhere.close();
    if (viaSdk.ok || viaLean.ok) throw new Error("both should fail");
    expect(described(viaLean.error)).toEqual(described(viaSdk.error));
    expect(viaSdk.error).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it("reports a caller's abort as an abort, as the provider layer reads both", async () => {
    // The one deliberate difference: the SDK wraps an abort in its own class, the JSON client
    // raises the standard AbortError; `isAbort` is how every caller tells an abort apart.
    answer = { status: 200, silent: true };
    const abortWhenSent = async (call: (signal: AbortSignal) => Promise<unknown>) => {
      seen.length = 0;
      const controller = new AbortController();
      const pending = outcome(() => call(controller.signal));
      await expect.poll(() => seen.length).toBe(1);
      controller.abort();
      return pending;
    };
    const viaSdk = await abortWhenSent((signal) =>
      sdk.post("/chat/completions", { body: completion, signal }),
    );
    const viaLean = await abortWhenSent((signal) => lean.post("chat/completions", completion, { signal }));
    if (viaSdk.ok || viaLean.ok) throw new Error("both should fail");
    expect(viaSdk.error).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(isAbort(viaSdk.error)).toBe(true);
    expect(isAbort(viaLean.error)).toBe(true);
  });
});
