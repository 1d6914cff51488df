import type OpenAI from "openai";
import type { TestApi } from "../testApi.ts";
import { weatherParameters } from "./weatherTool.ts";

/** A function tool with required arguments, as the suites of `/v1/responses` declare it. */
export const weatherTool: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather in a city",
  parameters: weatherParameters,
  strict: true,
};

/** Sluice's extension object on a response, as the SDK's types do not know it. */
export function sluiceOf(response: unknown) {
  return (
    response as {
      sluice: { model_used: string; requested_model: string; cost_micros: number; cache_hit: boolean };
    }
  ).sluice;
}

const send = (api: TestApi, body: unknown, key: string) =>
  fetch(`${api.url}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Status, Retry-After, error and issue paths of a raw request, to read Sluice's validation issues. */
export async function postResponses(api: TestApi, body: unknown, key = api.a.key) {
  const response = await send(api, body, key);
  const json = (await response.json()) as {
    error: { code: string; message: string; details?: { issues?: { path: string }[] } };
  };
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    error: json.error,
    paths: (json.error?.details?.issues ?? []).map((i) => i.path),
  };
}

/** One server-sent event as read off the wire. */
export type WireEvent = {
  type: string;
  sequence_number: number;
  code?: string;
  message?: string;
  response?: { status: string; error: { code: string } | null };
};

/** The status and events of a raw streamed request, read off the wire. */
export async function streamResponses(
  api: TestApi,
  body: unknown,
): Promise<{ status: number; events: WireEvent[] }> {
  const response = await send(api, body, api.a.key);
  const events = (await response.text())
    .split("\n\n")
    .filter((block) => block.startsWith("event: "))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)) as WireEvent);
  return { status: response.status, events };
}
