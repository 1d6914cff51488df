import { randomUUID } from "node:crypto";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import type { ChatStreamData } from "../src/streams/chatStreamEvents.ts";
import { eventSourceClient, startTestApi, type TestApi } from "./testApi.ts";

// The surfaces besides REST that read a guarded stream: tRPC subscriptions and streamed chat jobs.
const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, { worker: true });
});
afterAll(() => api.close());

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
      required: ["city", "unit"],
    },
  },
};
const request = {
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content: "Weather in Oslo?" }],
  tools: [weather],
};

type ToolCallResult = { id: string; name: string; arguments: string };

describe("streamed tool calls beyond REST", () => {
  it("carries tool_call events to chat.stream subscribers", async () => {
    const trpc = eventSourceClient<AppRouter>({
      url: `${api.url}/trpc`,
      headers: { authorization: `Bearer ${api.a.key}` },
    });
    const events = await new Promise<ChatStreamData[]>((resolve, reject) => {
      const seen: ChatStreamData[] = [];
      const sub = trpc.chat.stream.subscribe(
        { streamId: randomUUID(), request, mode: "hold" },
        {
          onData: ({ data }) => {
            seen.push(data);
            if (data.type === "done" || data.type === "error") {
              sub.unsubscribe();
              resolve(seen);
            }
          },
          onError: reject,
        },
      );
    });
    const pieces = events.flatMap((e) => (e.type === "tool_call" ? [e] : []));
    expect(pieces[0]).toMatchObject({ index: 0, name: "get_weather", arguments: "" });
    expect(pieces[0]?.id).toMatch(/^call/);
    const args = JSON.parse(pieces.map((p) => p.arguments).join(""));
    expect(Object.keys(args).sort()).toEqual(["city", "unit"]);
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "tool_calls" });
  });

  it.each([
    ["streamed", true],
    ["whole", false],
  ])("leaves a %s chat job's tool calls in its result", async (_name, stream) => {
    const res = await fetch(`${api.url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "chat.complete", payload: { request, stream } }),
    });
    expect(res.status).toBe(202);
    const { status_url } = (await res.json()) as { status_url: string };
    const read = async () =>
      (await (
        await fetch(`${api.url}${status_url}`, { headers: { authorization: `Bearer ${api.a.key}` } })
      ).json()) as { status: string; result?: { finishReason: string; toolCalls?: ToolCallResult[] } };
    await expect.poll(async () => (await read()).status, { timeout: 15_000 }).toBe("completed");
    const { result } = await read();
    expect(result?.finishReason).toBe("tool_calls");
    expect(result?.toolCalls).toHaveLength(1);
    const [call] = result?.toolCalls ?? [];
    expect(call?.name).toBe("get_weather");
    expect(call?.id).toMatch(/^call/);
    expect(Object.keys(JSON.parse(call?.arguments ?? "null")).sort()).toEqual(["city", "unit"]);
  });
});
