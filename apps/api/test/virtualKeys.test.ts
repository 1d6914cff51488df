import { useTestDatabase } from "@sluice/db/testing";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import { eventSourceClient } from "./support/trpcClients.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

// Virtual keys end to end over HTTP: a key's model list on every surface, its expiry, rotation
// with a grace period, its own rate limit, and the end user each call is attributed to.

const t = useTestDatabase();
let api: TestApi;
const trpc = (key: string, headers: Record<string, string> = {}) =>
  eventSourceClient<AppRouter>({
    url: `${api.url}/trpc`,
    headers: { authorization: `Bearer ${key}`, ...headers },
  });
const admin = () => trpc(api.admin.key);

beforeAll(async () => {
  api = await startTestApi(t);
});
afterAll(() => api?.close());

async function post(path: string, key: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function anthropic(key: string, body: unknown, path = "/v1/messages") {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "hello" }],
  max_tokens: 16,
  ...extra,
});

async function keyFor(input: Record<string, unknown>) {
  return admin().apiKeys.create.mutate({ tenantId: api.a.id, role: "tenant", ...input } as never);
}

async function trpcError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return (error as TRPCClientError<AppRouter>).data as { httpStatus: number; error: { code: string } };
}

async function callRows(keyId: string) {
  await api.services.runtime.callLog.flush();
  return t.db
    .selectFrom("llmCalls")
    .select(["tenantId", "apiKeyId", "endUser", "model", "kind"])
    .where("apiKeyId", "=", keyId)
    .orderBy("id")
    .execute();
}

describe("a key's model list", () => {
  it("refuses other models with 403 model_not_allowed on every surface, and lists only its own", async () => {
    const { key, plaintext } = await keyFor({ allowedModels: ["gpt-4o*", "simulat*"] });
    expect(key.allowedModels).toEqual(["gpt-4o*", "simulat*"]);
    const refused = { status: 403, body: { error: { code: "model_not_allowed" } } };

    expect(await post("/v1/chat/completions", plaintext, chat("sim-small"))).toMatchObject(refused);
    expect(await post("/v1/chat/completions", plaintext, chat("sim-small", { stream: true }))).toMatchObject(
      refused,
    );
    expect(
      await post("/v1/embeddings", plaintext, { model: "text-embedding-3-small", input: ["a"] }),
    ).toMatchObject(refused);
    expect(await post("/v1/responses", plaintext, { model: "claude-haiku-4-5", input: "hi" })).toMatchObject(
      refused,
    );
    expect(await anthropic(plaintext, chat("claude-haiku-4-5"))).toMatchObject({
      status: 403,
      body: { type: "error", error: { type: "permission_error" } },
    });
    expect(
      await post("/v1/sluice/batches", plaintext, { name: "x", model: "sim-small", requests: [] }),
    ).toMatchObject(refused);
    expect(
      await anthropic(
        plaintext,
        { requests: [{ custom_id: "a", params: chat("claude-haiku-4-5") }] },
        "/v1/messages/batches",
      ),
    ).toMatchObject({ status: 403 });
    const client = trpc(plaintext);
    for (const call of [
      client.chat.complete.mutate(chat("sim-small") as never),
      client.embeddings.create.mutate({ model: "text-embedding-3-small", input: ["a"] } as never),
      client.cascade.run.mutate({ name: "other", request: { messages: [{ role: "user", content: "x" }] } }),
    ]) {
      expect(await trpcError(call)).toMatchObject({ httpStatus: 403 });
    }

    // What the list allows works, a cascade by either of its names.
    expect((await post("/v1/chat/completions", plaintext, chat("gpt-4o-mini"))).status).toBe(200);
    expect(
      (await post("/v1/chat/completions", plaintext, chat("cascade:simulator", { max_tokens: undefined })))
        .status,
    ).toBe(200);
    const models = await fetch(`${api.url}/v1/models`, { headers: { authorization: `Bearer ${plaintext}` } });
    const ids = ((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.startsWith("gpt-4o") || id === "cascade:simulator")).toBe(true);
    expect(ids).toContain("cascade:simulator");
  });

  it("refuses an OpenAI batch whose file names another model when the batch is created", async () => {
    const { plaintext } = await keyFor({ allowedModels: ["gpt-4o*"] });
    const line = JSON.stringify({
      custom_id: "1",
      method: "POST",
      url: "/v1/chat/completions",
      body: chat("sim-small"),
    });
    const form = new FormData();
    form.append("purpose", "batch");
    form.append("file", new Blob([`${line}\n`]), "in.jsonl");
    const upload = await fetch(`${api.url}/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${plaintext}` },
      body: form,
    });
    const file = (await upload.json()) as { id: string };
    expect(upload.status).toBe(200);
    const created = await post("/v1/batches", plaintext, {
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(created).toMatchObject({ status: 403, body: { error: { code: "model_not_allowed" } } });
  });
});

describe("expiry and rotation", () => {
  it("refuses a key past its expiry with 401 key_expired, at once after the change", async () => {
    const { key, plaintext } = await keyFor({ expiresAt: new Date(Date.now() + 3_600_000) });
    expect((await post("/v1/chat/completions", plaintext, chat("sim-small"))).status).toBe(200);
    await admin().apiKeys.update.mutate({ id: key.id, expiresAt: new Date(Date.now() - 1_000) });
    expect(await post("/v1/chat/completions", plaintext, chat("sim-small"))).toMatchObject({
      status: 401,
      body: { error: { code: "key_expired" } },
    });
    expect(await trpcError(trpc(plaintext).chat.complete.mutate(chat("sim-small") as never))).toMatchObject({
      httpStatus: 401,
      error: { code: "key_expired" },
    });
  });

  it("keeps the old secret during the grace period, then refuses it with 401 key_rotated", async () => {
    const { key, plaintext: first } = await keyFor({ name: "rotating" });
    expect((await post("/v1/chat/completions", first, chat("sim-small"))).status).toBe(200);
    const second = await admin().apiKeys.rotate.mutate({ id: key.id, graceSeconds: 3_600 });
    expect(second.key.id).toBe(key.id);
    expect(second.key.previousValidUntil).not.toBeNull();
    for (const secret of [first, second.plaintext])
      expect((await post("/v1/chat/completions", secret, chat("sim-small"))).status).toBe(200);
    // A rotation with no grace refuses the secret it replaces at once.
    const third = await admin().apiKeys.rotate.mutate({ id: key.id, graceSeconds: 0 });
    expect(await post("/v1/chat/completions", second.plaintext, chat("sim-small"))).toMatchObject({
      status: 401,
      body: { error: { code: "key_rotated" } },
    });
    expect((await post("/v1/chat/completions", first, chat("sim-small"))).status).toBe(401);
    expect((await post("/v1/chat/completions", third.plaintext, chat("sim-small"))).status).toBe(200);
  });

  it("refuses metadata over its cap and bad patterns with 400", async () => {
    const big = { note: "x".repeat(5_000) };
    expect(await trpcError(keyFor({ metadata: big }))).toMatchObject({ httpStatus: 400 });
    expect(await trpcError(keyFor({ allowedModels: ["gpt 4o"] }))).toMatchObject({ httpStatus: 400 });
    const { key } = await keyFor({ metadata: { team: "support", cost_center: 42 } });
    expect(key.metadata).toEqual({ team: "support", cost_center: 42 });
  });
});

describe("a key's own rate limit", () => {
  it("throttles the key at its requests/min with 429 while another key of the tenant still passes", async () => {
    const { plaintext } = await keyFor({ rateLimitRpm: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await post("/v1/chat/completions", plaintext, chat("sim-small"))).status);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await post("/v1/chat/completions", plaintext, chat("sim-small"));
    expect(refused).toMatchObject({
      status: 429,
      body: { error: { code: "rate_limit_exceeded", details: { scope: "key", limitRequestsPerMinute: 2 } } },
    });
    expect((await post("/v1/chat/completions", api.a.key, chat("sim-small"))).status).toBe(200);
  });

  it("throttles the key at its tokens/min", async () => {
    const { plaintext } = await keyFor({ rateLimitTpm: 40 });
    const long = { messages: [{ role: "user", content: "word ".repeat(30) }] };
    expect((await post("/v1/chat/completions", plaintext, chat("sim-small", long))).status).toBe(200);
    expect(await post("/v1/chat/completions", plaintext, chat("sim-small", long))).toMatchObject({
      status: 429,
      body: { error: { details: { scope: "key", limitTokensPerMinute: 40 } } },
    });
  });
});

describe("attribution", () => {
  it("stamps tenant, key and end user on call-log rows from user, X-Sluice-User and metadata.user_id", async () => {
    const { key, plaintext } = await keyFor({ name: "attributed" });
    await post("/v1/chat/completions", plaintext, chat("sim-small", { user: "body-user" }));
    await post("/v1/chat/completions", plaintext, chat("sim-small", { user: "body-user" }), {
      "x-sluice-user": "header-user",
    });
    await post("/v1/embeddings", plaintext, {
      model: "text-embedding-3-small",
      input: ["a"],
      user: "embed-user",
    });
    await post("/v1/responses", plaintext, { model: "gpt-4o-mini", input: "hi", user: "responses-user" });
    await anthropic(plaintext, { ...chat("claude-haiku-4-5"), metadata: { user_id: "anthropic-user" } });
    await trpc(plaintext, { "x-sluice-user": "trpc-user" }).chat.complete.mutate(chat("sim-small") as never);
    await post("/v1/chat/completions", plaintext, chat("sim-small"));
    const rows = await callRows(key.id);
    expect(rows.map((r) => r.endUser)).toEqual([
      "body-user",
      "header-user",
      "embed-user",
      "responses-user",
      "anthropic-user",
      "trpc-user",
      null,
    ]);
    expect(rows.every((r) => r.tenantId === api.a.id && r.apiKeyId === key.id)).toBe(true);
  });

  it("refuses an end user id that is too long or a pasted key with 400", async () => {
    expect(
      await post("/v1/chat/completions", api.a.key, chat("sim-small"), { "x-sluice-user": "u".repeat(300) }),
    ).toMatchObject({ status: 400, body: { error: { code: "validation_error" } } });
    expect(
      await post("/v1/chat/completions", api.a.key, chat("sim-small", { user: api.a.key.slice(0, 60) })),
    ).toMatchObject({ status: 400 });
  });
});
