import { sql, useTestDatabase } from "@sluice/db/testing";
import OpenAI, { toFile } from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";

const MAX_FILE_BYTES = 256 * 1024;
const t = useTestDatabase();
const ctx = useOpenAiApi(t, {
  worker: { batchPollMs: 100 },
  batchTimings: { validatingMs: 100, inProgressMs: 300, finalizingMs: 100 },
  // A low cap, so the size check is tested without uploading 200 MB.
  env: { SLUICE_FILE_MAX_BYTES: String(MAX_FILE_BYTES) },
});

const line = (customId: string, model = "sim-small", content = `hello ${customId}`) =>
  JSON.stringify({
    custom_id: customId,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model, messages: [{ role: "user", content }], max_tokens: 8 },
  });

const upload = async (text: string, name = "input.jsonl") =>
  ctx.client.files.create({ file: await toFile(Buffer.from(text), name), purpose: "batch" });

/**
 * Polls until the batch is final. The simulator's provider batch timings are the wall time under
 * test here, so a short poll interval is the event wait.
 */
async function finished(id: string) {
  await expect
    .poll(async () => (await ctx.client.batches.retrieve(id)).status, { timeout: 20_000, interval: 100 })
    .toMatch(/^(completed|failed|expired|cancelled)$/);
  return ctx.client.batches.retrieve(id);
}

/** Half of the synchronous price of one answer, rounded half up, in micro-dollars. */
function batchPriceMicros(model: string, usage: { prompt_tokens: number; completion_tokens: number }) {
  const spec = ctx.api.services.runtime.registry.get(model);
  const gross =
    BigInt(usage.prompt_tokens) * BigInt(spec.inputMicrosPerMillion) +
    BigInt(usage.completion_tokens) * BigInt(spec.outputMicrosPerMillion);
  // Half price, in millionths of a micro-dollar: (gross / 2) / 1e6 rounded half up.
  const denominator = 2n * 1_000_000n;
  return Number((gross * 2n + denominator) / (denominator * 2n));
}

async function expectStatus(promise: Promise<unknown>, status: number, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
  expect(String((error as Error).message)).toMatch(message);
}

describe("OpenAI Files and Batches through the openai SDK", () => {
  it("runs a batch from an uploaded file and serves its output file at half the sync price", async () => {
    const input = await upload(`${line("a")}\n${line("b")}\n\n${line("c")}\n`);
    expect(input).toMatchObject({
      object: "file",
      purpose: "batch",
      filename: "input.jsonl",
      status: "processed",
    });
    expect(input.id).toMatch(/^file-/);

    const created = await ctx.client.batches.create({
      input_file_id: input.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { team: "support" },
    });
    expect(created).toMatchObject({
      object: "batch",
      input_file_id: input.id,
      endpoint: "/v1/chat/completions",
      status: "validating",
      metadata: { team: "support" },
      request_counts: { total: 3, completed: 0, failed: 0 },
    });

    const done = await finished(created.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.error_file_id).toBeNull();
    expect(done.output_file_id).toMatch(/^file-/);
    // Reading again names the same files: they are written once.
    expect((await ctx.client.batches.retrieve(created.id)).output_file_id).toBe(done.output_file_id);

    const output = await ctx.client.files.retrieve(done.output_file_id!);
    expect(output).toMatchObject({ purpose: "batch_output", object: "file" });
    const text = await (await ctx.client.files.content(done.output_file_id!)).text();
    expect(Buffer.byteLength(text)).toBe(output.bytes);
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id)).toEqual(["a", "b", "c"]);
    let expected = 0;
    for (const l of lines) {
      expect(l.error).toBeNull();
      expect(l.response.status_code).toBe(200);
      expect(l.response.body.object).toBe("chat.completion");
      expect(l.response.body.choices[0].message.role).toBe("assistant");
      expected += batchPriceMicros("sim-small", l.response.body.usage);
    }
    const sluice = (done as unknown as { sluice: { cost_micros: number; sync_cost_micros: number } }).sluice;
    expect(expected).toBeGreaterThan(0);
    expect(sluice.cost_micros).toBe(expected);
    expect(sluice.sync_cost_micros).toBeGreaterThanOrEqual(2 * expected - lines.length);
  });

  it("sends requests that failed with a retriable provider error again, up to the limit, and counts the retries", async () => {
    // `batch-error-once` fails the first time only (a transient 500); `batch-error` fails every time.
    const input = await upload(
      [
        line("r1"),
        line("r2", "sim-small", "flaky [[sim:batch-error-once]]"),
        line("r3", "sim-small", "broken [[sim:batch-error]]"),
      ].join("\n"),
    );
    const batch = await ctx.client.batches.create({
      input_file_id: input.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const done = await finished(batch.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    // r2 went again once and was answered; r3 went again twice (the default limit) and failed.
    expect((done as unknown as { sluice: { retried: number } }).sluice.retried).toBe(3);
    // Sluice's own view of the batch counts them too.
    const own = await fetch(`${ctx.api.url}/v1/sluice/batches/${batch.id}`, {
      headers: { authorization: `Bearer ${ctx.api.a.key}` },
    });
    expect(((await own.json()) as { retried: number }).retried).toBe(3);
    const output = (await (await ctx.client.files.content(done.output_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(output.map((l) => l.custom_id)).toEqual(["r1", "r2"]);
    const errors = (await (await ctx.client.files.content(done.error_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(errors).toEqual([
      expect.objectContaining({
        custom_id: "r3",
        response: null,
        error: expect.objectContaining({ code: "server_error" }),
      }),
    ]);
    expect((await ctx.client.files.retrieve(done.error_file_id!)).purpose).toBe("batch_errors");
  });

  it("runs a cascade named as every line's model", async () => {
    const input = await upload(
      ["c1", "c2"]
        .map((id) => line(id, "cascade:simulator", `cascade ${id}: please summarise the refund policy`))
        .join("\n"),
    );
    const batch = await ctx.client.batches.create({
      input_file_id: input.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const done = await finished(batch.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect((done as unknown as { sluice: { model: string } }).sluice.model).toBe("cascade:simulator");
    const output = (await (await ctx.client.files.content(done.output_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(output.map((l) => l.custom_id)).toEqual(["c1", "c2"]);
    for (const l of output) expect(l.response.body.choices[0].message.role).toBe("assistant");
  });

  it("creates, links and submits a batch all at once: a failure while linking leaves no batch, running or not", async () => {
    const input = await upload(`${line("l1")}\n${line("l2")}\n`, "unlinked.jsonl");
    // The link insert fails as a crash at that point would: whatever ran before it must not stay.
    await sql`create function refuse_link() returns trigger language plpgsql as
      $$ begin raise exception 'link refused'; end $$`.execute(t.db);
    await sql`create trigger refuse_link before insert on openai_batches
      for each row execute function refuse_link()`.execute(t.db);
    try {
      await expectStatus(
        ctx.client.batches.create({
          input_file_id: input.id,
          endpoint: "/v1/chat/completions",
          completion_window: "24h",
        }),
        500,
        /internal/i,
      );
    } finally {
      await sql`drop trigger refuse_link on openai_batches`.execute(t.db);
      await sql`drop function refuse_link()`.execute(t.db);
    }
    const own = await fetch(`${ctx.api.url}/v1/sluice/batches?limit=200`, {
      headers: { authorization: `Bearer ${ctx.api.a.key}` },
    });
    const names = ((await own.json()) as { data: { name: string }[] }).data.map((b) => b.name);
    expect(names).not.toContain("unlinked.jsonl");
  });

  it("lists, retrieves and deletes files, and pages with after and limit", async () => {
    const first = await upload(`${line("x")}\n`, "first.jsonl");
    const second = await upload(`${line("y")}\n`, "second.jsonl");
    const page = await ctx.client.files.list({ purpose: "batch", limit: 1 });
    expect(page.data.map((f) => f.id)).toEqual([second.id]);
    expect(page.has_more).toBe(true);
    const next = await page.getNextPage();
    expect(next.data[0]?.id).toBe(first.id);
    const all = [];
    for await (const f of ctx.client.files.list({ purpose: "batch" })) all.push(f.id);
    expect(all).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(await ctx.client.files.retrieve(first.id)).toMatchObject({
      id: first.id,
      filename: "first.jsonl",
    });
    expect(await (await ctx.client.files.content(first.id)).text()).toBe(`${line("x")}\n`);
    // Any name comes back as it was given, and its download still names it.
    const named = await upload(`${line("z")}\n`, "données (q) 日本.jsonl");
    expect(named.filename).toBe("données (q) 日本.jsonl");
    const download = await ctx.client.files.content(named.id);
    const disposition = download.headers.get("content-disposition") ?? "";
    expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1] ?? "")).toBe(
      "données (q) 日本.jsonl",
    );
    expect(await ctx.client.files.delete(first.id)).toEqual({ id: first.id, object: "file", deleted: true });
    await expectStatus(ctx.client.files.retrieve(first.id), 404, /not found/);
    await expectStatus(ctx.client.files.content(first.id), 404, /not found/);
    await expectStatus(ctx.client.files.delete(first.id), 404, /not found/);
  });

  it("refuses a file over SLUICE_FILE_MAX_BYTES with a 400 naming file, and keeps nothing of it", async () => {
    const before = await ctx.client.files.list({ purpose: "batch" });
    const lines: string[] = [];
    for (let i = 0; Buffer.byteLength(lines.join("\n")) <= MAX_FILE_BYTES + 1024; i++)
      lines.push(line(`big-${i}`));
    const error = await upload(lines.join("\n"), "big.jsonl").catch(
      (e: InstanceType<typeof OpenAI.APIError>) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toMatch(new RegExp(`file: is larger than ${MAX_FILE_BYTES} bytes`));
    expect((await ctx.client.files.list({ purpose: "batch" })).data.map((f) => f.id)).toEqual(
      before.data.map((f) => f.id),
    );
    // Right at the cap is fine.
    const exact = `${"x".repeat(MAX_FILE_BYTES - 1)}\n`;
    expect((await upload(exact, "exact.jsonl")).bytes).toBe(MAX_FILE_BYTES);
  });

  it("lists and cancels batches", async () => {
    const input = await upload(`${line("p")}\n${line("q")}\n`);
    const batch = await ctx.client.batches.create({
      input_file_id: input.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const listed = await ctx.client.batches.list({ limit: 1 });
    expect(listed.data.map((b) => b.id)).toEqual([batch.id]);
    const cancelled = await ctx.client.batches.cancel(batch.id);
    expect(cancelled.status).toBe("cancelling");
    const done = await finished(batch.id);
    expect(done.status).toBe("cancelled");
    expect(done.cancelled_at).not.toBeNull();
    await expectStatus(ctx.client.batches.cancel(batch.id), 409, /already cancelled/);
  });

  it("answers bad input with a 400 or 404 naming what is wrong", async () => {
    const form = new FormData();
    form.append("file", new Blob([`${line("m")}\n`]), "x.jsonl");
    const noPurpose = await fetch(`${ctx.api.url}/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.api.a.key}` },
      body: form,
    });
    expect(noPurpose.status).toBe(400);
    expect(await noPurpose.json()).toMatchObject({
      error: { code: "validation_error", details: { issues: [{ path: "purpose" }] } },
    });
    await expectStatus(
      ctx.client.files.create({ file: await toFile(Buffer.from("{}"), "x.jsonl"), purpose: "fine-tune" }),
      400,
      /purpose/,
    );
    const notJson = await upload("custom_id,body\na,hello\n", "input.csv");
    await expectStatus(
      ctx.client.batches.create({
        input_file_id: notJson.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      }),
      400,
      /line 1: \(line\): is not valid JSON/,
    );
    const mixed = await upload(
      `${line("m1")}\n${line("m2", "sim-large")}\n${line("m3")}\n${line("m4", "sim-large")}\n`,
    );
    const error = await ctx.client.batches
      .create({ input_file_id: mixed.id, endpoint: "/v1/chat/completions", completion_window: "24h" })
      .catch((e: InstanceType<typeof OpenAI.APIError>) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toMatch(/line 2: body\.model/);
    const issues = (apiError.error as { details: { issues: { line: number }[] } }).details.issues;
    expect(issues.map((i) => i.line)).toEqual([2, 4]);
    // A refused input leaves no batch behind.
    expect((await ctx.client.batches.list()).data.some((b) => b.input_file_id === mixed.id)).toBe(false);
    await expectStatus(
      ctx.client.batches.create({
        input_file_id: "file-0123456789abcdef0123456789abcdef",
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      }),
      404,
      /file file-0123456789abcdef0123456789abcdef not found/,
    );
    await expectStatus(
      ctx.client.batches.create({
        input_file_id: mixed.id,
        endpoint: "/v1/embeddings" as "/v1/chat/completions",
        completion_window: "24h",
      }),
      400,
      /endpoint/,
    );
    await expectStatus(ctx.client.batches.retrieve("batch_nope"), 404, /not found/);
  });
});
