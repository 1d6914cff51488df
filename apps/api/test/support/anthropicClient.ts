import Anthropic from "@anthropic-ai/sdk";
import type { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll } from "vitest";
import { startTestApi, type TestApi } from "../testApi.ts";
import { weatherParameters } from "./weatherTool.ts";

/**
 * A test API over the file's database and the official `@anthropic-ai/sdk` pointed at it with
 * tenant A's key (no SDK retries), for a test file's lifetime. Read the fields inside tests.
 */
export function useAnthropicApi(
  t: ReturnType<typeof useTestDatabase>,
  options: Parameters<typeof startTestApi>[1] = {},
): { api: TestApi; client: Anthropic } {
  const context = {} as { api: TestApi; client: Anthropic };
  beforeAll(async () => {
    context.api = await startTestApi(t, options);
    context.client = new Anthropic({ apiKey: context.api.a.key, baseURL: context.api.url, maxRetries: 0 });
  });
  afterAll(() => context.api.close());
  return context;
}

/** Anthropic's error body as Sluice answers it. */
export interface AnthropicErrorJson {
  type: string;
  error: { type: string; message: string; code?: string; details?: { issues?: { path: string }[] } };
  request_id: string;
}

/** A raw POST with tenant A's `x-api-key`, to read the status, headers and Anthropic's error body. */
export async function postAnthropic(
  api: TestApi,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: {
      "x-api-key": api.a.key,
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as AnthropicErrorJson;
  return {
    status: response.status,
    json,
    headers: response.headers,
    paths: (json.error?.details?.issues ?? []).map((i) => i.path),
  };
}

/** A tool with two required arguments. */
export const weatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: { ...weatherParameters, type: "object" },
};

/** A 1×1 PNG. */
export const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** A user turn asking about an image from `source`. */
export const imageTurn = (source: Record<string, string>) => ({
  role: "user" as const,
  content: [
    { type: "text" as const, text: "What is in this picture?" },
    { type: "image" as const, source },
  ],
});

/** The smallest useful request body, without its model. */
export const hello = { max_tokens: 64, messages: [{ role: "user" as const, content: "Say hello to Oslo" }] };
