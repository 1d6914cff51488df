import { randomUUID } from "node:crypto";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import type { ChatStreamData } from "../src/streams/chatStreamEvents.ts";
import { weatherParameters } from "./support/weatherTool.ts";
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
  function: { name: "get_weather", parameters: weatherParameters },
};
const request = {
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content: "Weather in Oslo?" }],
  tools: [weather],
};

type ToolCallResult = { id: string; name: string; arguments: string };

/** Every event of one `chat.stream` subscription, up to its end. */
function subscribe(body: typeof request & { n?: number }): Promise<ChatStreamData[]> {
  const trpc = eventSourceClient<AppRouter>({
    url: `${api.url}/trpc`,
    headers: { authorization: `Bearer ${api.a.key}` },
  });
  return new Promise<ChatStreamData[]>((resolve, reject) => {
    const seen: ChatStreamData[] = [];
    const sub = trpc.chat.stream.subscribe(
      { streamId: randomUUID(), request: body, mode: "hold" },
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
}

describe("streamed tool calls beyond REST", () => {
  it("carries tool_call events to chat.stream subscribers", async () => {
    const events = await subscribe(request);
    const pieces = events.flatMap((e) => (e.type === "tool_call" ? [e] : []));
    expect(pieces[0]).toMatchObject({ index: 0, name: "get_weather", arguments: "" });
    expect(pieces[0]?.id).toMatch(/^call/);
    const args = JSON.parse(pieces.map((p) => p.arguments).join(""));
    expect(Object.keys(args).sort()).toEqual(["city", "unit"]);
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "tool_calls" });
  });

  it("marks each choice's events for subscribers of an n > 1 stream", async () => {
    const events = await subscribe({ ...request, n: 2 });
    const choices = new Set(events.flatMap((e) => (e.type === "tool_call" ? [e.choice ?? 0] : [])));
    expect([...choices].sort()).toEqual([0, 1]);
    expect(events.at(-1)).toMatchObject({ type: "done", finishReasons: ["tool_calls", "tool_calls"] });
  });

  it.each([
    ["streamed", true, 1],
    ["whole", false, 1],
    // A job answers one choice, streamed or not: the first one's calls, not both choices' mixed.
    ["streamed n: 2", true, 2],
  ])("leaves a %s chat job's tool calls in its result", async (_name, stream, n) => {
    const res = await fetch(`${api.url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "chat.complete", payload: { request: { ...request, n }, stream } }),
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
