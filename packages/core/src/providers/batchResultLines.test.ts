import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnthropicBatchApi } from "./anthropicBatchApi.ts";
import type { ProviderBatchResult } from "./batchApi.ts";
import { closeServer, listen, signal } from "./batchApiTestKit.ts";
import { createOpenAiBatchApi } from "./openaiBatchApi.ts";

describe("malformed result lines", () => {
  const completion = {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: "fine" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1 },
  };
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-haiku-4-5",
    content: [{ type: "text", text: "fine" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 4, output_tokens: 1 },
  };
  const bodies: Record<string, string> = {
    "/v1/files/file_out/content": [
      JSON.stringify({ custom_id: "ok", response: { status_code: 200, body: completion }, error: null }),
      '{"custom_id": "cut", "response": {"status_co',
      JSON.stringify({ custom_id: "empty", response: { status_code: 200, body: { id: "x", choices: [] } } }),
      "[1, 2]",
      JSON.stringify({ custom_id: "last", response: { status_code: 200, body: completion }, error: null }),
    ].join("\n"),
    "/v1/messages/batches/msgbatch_1/results": [
      JSON.stringify({ custom_id: "ok", result: { type: "succeeded", message } }),
      "not json at all",
      JSON.stringify({ custom_id: "odd", result: { type: "mystery" } }),
      JSON.stringify({
        custom_id: "nousage",
        result: { type: "succeeded", message: { ...message, usage: null } },
      }),
      JSON.stringify({ custom_id: "last", result: { type: "succeeded", message } }),
    ].join("\r\n"),
  };
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = bodies[req.url ?? ""];
      res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/octet-stream" });
      res.end(body ?? "{}");
    });
    url = await listen(server);
  });
  afterAll(() => closeServer(server));

  const finished = {
    counts: { total: 5, succeeded: 5, errored: 0 },
    inputFileId: null,
    errorFileId: null,
    errors: [],
  };
  const shapes = async (results: AsyncIterable<ProviderBatchResult>) => {
    const out: [string, string, string | undefined][] = [];
    for await (const r of results)
      out.push([r.customId, r.status, r.status === "errored" ? r.error.code : undefined]);
    return out;
  };

  it("turns each unreadable OpenAI output line into a malformed_response result and reads on", async () => {
    const api = createOpenAiBatchApi({ name: "odd", apiKey: "k", baseUrl: `${url}/v1` });
    const state = { ...finished, id: "batch_1", status: "completed" as const, outputFileId: "file_out" };
    expect(await shapes(api.results(state, { signal: signal() }))).toEqual([
      ["ok", "succeeded", undefined],
      ["cut", "errored", "malformed_response"],
      ["empty", "errored", "malformed_response"],
      ["", "errored", "malformed_response"],
      ["last", "succeeded", undefined],
    ]);
  });

  it("turns each unreadable Anthropic result line into a malformed_response result and reads on", async () => {
    const api = createAnthropicBatchApi({ name: "odd", apiKey: "k", baseUrl: url });
    const state = { ...finished, id: "msgbatch_1", status: "completed" as const, outputFileId: null };
    expect(await shapes(api.results(state, { signal: signal() }))).toEqual([
      ["ok", "succeeded", undefined],
      ["", "errored", "malformed_response"],
      ["odd", "errored", "malformed_response"],
      ["nousage", "errored", "malformed_response"],
      ["last", "succeeded", undefined],
    ]);
  });
});
