import type { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { afterAll, beforeAll } from "vitest";
import { startTestApi, type TestApi } from "../testApi.ts";

/**
 * A test API over the file's database and the official `openai` SDK pointed at it with tenant A's
 * key (no SDK retries), for a test file's lifetime. Read the fields inside tests, not at import.
 */
export function useOpenAiApi(
  t: ReturnType<typeof useTestDatabase>,
  options?: Parameters<typeof startTestApi>[1],
): { api: TestApi; client: OpenAI } {
  const context = {} as { api: TestApi; client: OpenAI };
  beforeAll(async () => {
    context.api = await startTestApi(t, options);
    context.client = new OpenAI({
      apiKey: context.api.a.key,
      baseURL: `${context.api.url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(() => context.api.close());
  return context;
}
