import { testPngDataUrl, textOnlyModelEntry } from "@sluice/core/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, { env: { SLUICE_MODELS: JSON.stringify([textOnlyModelEntry]) } });
});
afterAll(() => api.close());

async function post(path: string, body: string, contentType = "application/json") {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.a.key}`, "content-type": contentType },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const seeing = (customId: string) =>
  JSON.stringify({
    custom_id: customId,
    body: {
      max_tokens: 8,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: testPngDataUrl(8, 8) } },
          ],
        },
      ],
    },
  });
const reading = (customId: string) =>
  JSON.stringify({
    custom_id: customId,
    body: { max_tokens: 8, messages: [{ role: "user", content: "hi" }] },
  });

async function draft(model: string): Promise<string> {
  const created = await post("/v1/sluice/batches", JSON.stringify({ name: "images", model }));
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe("batch lines with images", () => {
  it("are refused at upload for a text-only model, naming the line, the part and the model", async () => {
    const id = await draft("sim-text");
    const added = await post(
      `/v1/sluice/batches/${id}/requests`,
      [reading("a"), seeing("b")].join("\n"),
      "application/jsonl",
    );
    expect(added.status).toBe(400);
    const error = added.body.error as {
      code: string;
      details: { issues: { line: number; path: string; message: string }[] };
    };
    expect(error.code).toBe("validation_error");
    expect(error.details.issues).toEqual([
      {
        line: 2,
        path: "line 2: body.messages.0.content.1",
        message: 'model "sim-text" does not take image_url parts (it takes text)',
      },
    ]);
  });

  it("are taken for a model that sees images", async () => {
    const id = await draft("sim-small");
    const added = await post(`/v1/sluice/batches/${id}/requests`, seeing("b"), "application/jsonl");
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ added: 1 });
  });
});
