import { randomUUID } from "node:crypto";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { getUntypedClient, TRPCClientError, type TRPCUntypedClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type AppRouter, appRouter } from "../src/root.ts";
import { restRoutes } from "./support/appRoutes.ts";
import { eventSourceClient } from "./support/trpcClients.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

// Tenant B attacks tenant A through every tRPC procedure and REST route, over HTTP. Every body B
// receives is kept and scanned for A's marker, ids and secrets; A's rows are compared before and after.

const t = useTestDatabase();
let api: TestApi;

/** In every subject, payload, batch name and URL of A's: any answer to B that carries it leaks. */
const MARKER = `isomark${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const inADay = () => new Date(Date.now() + 86_400_000);

// ---------------------------------------------------------------------------------------------
// B's traffic, recorded

/** One HTTP exchange of B's: what it sent and everything that came back. */
interface Exchange {
  sent: string;
  status: number;
  body: string;
  read: Promise<void>;
}
const exchanges: Exchange[] = [];

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `fetch` that keeps a copy of every answer body, streams included, for the leak scan. */
async function recordingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input);
  const sent = `${decoded(url)}\n${typeof init?.body === "string" ? init.body : ""}`;
  const res = await fetch(input, init);
  const exchange: Exchange = { sent, status: res.status, body: "", read: Promise.resolve() };
  exchanges.push(exchange);
  if (!res.body) return res;
  const [copy, passed] = res.body.tee();
  exchange.read = (async () => {
    const reader = copy.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        exchange.body += decoder.decode(value, { stream: true });
      }
    } catch {
      // The reader went away (an unsubscribe): what arrived is scanned.
    }
  })();
  return new Response(passed, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function trpcClient(key: string, fetchImpl: typeof recordingFetch = fetch) {
  return eventSourceClient<AppRouter>({
    url: `${api.url}/trpc`,
    headers: { authorization: `Bearer ${key}` },
    fetch: fetchImpl,
  });
}

// ---------------------------------------------------------------------------------------------
// Outcomes of B's calls

type Outcome = { ok: true; data: unknown } | { ok: false; code: string; message: string };

async function outcomeOf(promise: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, data: await promise };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { error?: { code?: string }; code?: string } | undefined;
    return { ok: false, code: data?.error?.code ?? data?.code ?? "unknown", message: error.message };
  }
}

const summary = (o: Outcome) =>
  o.ok ? `ok ${JSON.stringify(o.data).slice(0, 200)}` : `${o.code}: ${o.message}`;

/** An outcome with the id B named (A's, or an unknown one) and request ids blanked, to compare the two. */
function normalized(value: unknown, ...ids: string[]): string {
  let text = JSON.stringify(value);
  for (const id of ids) text = text.replaceAll(id, "<id>");
  return text.replace(/"(request_id|requestId)":"[^"]*"/g, '"$1":"<request>"');
}

const problems: string[] = [];
// Flat at run time: `"jobs.get"` and so on.
const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
let bClient: TRPCUntypedClient<AppRouter>;

/** B calls a query or mutation by path. */
function call(path: string, input?: unknown): Promise<Outcome> {
  const type = procedures[path]?._def.type;
  return outcomeOf(type === "query" ? bClient.query(path, input) : bClient.mutation(path, input));
}

/** B calls a REST route. */
async function rest(method: string, path: string, body?: unknown, contentType = "application/json") {
  const res = await recordingFetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.b.key}`, "content-type": contentType },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    // JSONL, SSE or metrics text.
  }
  if (res.ok) return { ok: true, data } satisfies Outcome;
  const error = (data as { error?: { code?: string; message?: string } }).error;
  return {
    ok: false,
    code: error?.code ?? String(res.status),
    message: error?.message ?? "",
  } satisfies Outcome;
}

/** What a subscription delivered before it ended, failed or went quiet. */
interface Watched {
  kinds: string[];
  events: unknown[];
}

function eventKind(event: unknown): string {
  const data = ((event as { data?: unknown }).data ?? {}) as Record<string, unknown>;
  if (data.type !== "error") return String(data.type);
  const nested = (data.error ?? data.data ?? {}) as { code?: string };
  return `error:${String(data.code ?? nested.code)}`;
}

function watch(client: TRPCUntypedClient<AppRouter>, path: string, input: unknown): Promise<Watched> {
  return new Promise((resolve) => {
    const events: unknown[] = [];
    const kinds: string[] = [];
    const finish = (extra?: string) => {
      clearTimeout(timer);
      sub.unsubscribe();
      resolve({ kinds: extra ? [...kinds, extra] : kinds, events });
    };
    const timer = setTimeout(() => finish(), 4_000);
    const sub = client.subscription(path, input, {
      onData(event) {
        events.push(event);
        kinds.push(eventKind(event));
        if (kinds.at(-1) === "done" || kinds.at(-1)?.startsWith("error")) finish();
      },
      onError: (error) => finish(`thrown:${(error.data as { error?: { code?: string } })?.error?.code}`),
      onComplete: () => finish(),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Attacks

/** B names each of A's ids: not found, and answered exactly as an id nothing has. */
async function refusedById(what: string, ids: string[], attempt: (id: string) => Promise<Outcome>) {
  for (const id of ids) {
    const outcome = await attempt(id);
    if (outcome.ok || outcome.code !== "not_found")
      problems.push(`${what} with A's ${id}: ${summary(outcome)}, not not_found`);
    const stranger = randomUUID();
    const baseline = await attempt(stranger);
    if (normalized(outcome, id) !== normalized(baseline, stranger))
      problems.push(`${what}: A's id answers ${summary(outcome)}, an unknown one ${summary(baseline)}`);
  }
}

/** B pages after A's ids (OpenAI's `after`): refused as after an id nothing has. */
async function refusedAfter(what: string, ids: string[], attempt: (id: string) => Promise<Outcome>) {
  for (const id of ids) {
    const outcome = await attempt(id);
    const stranger = id.startsWith("file-") ? `file-${randomUUID().replaceAll("-", "")}` : randomUUID();
    const baseline = await attempt(stranger);
    if (outcome.ok || normalized(outcome, id) !== normalized(baseline, stranger))
      problems.push(`${what} after A's ${id}: ${summary(outcome)}, after an unknown id ${summary(baseline)}`);
  }
}

/** B subscribes to each of A's ids: an error event (or nothing), as for an id nothing has. */
async function streamRefused(path: string, ids: string[], input: (id: string) => unknown) {
  for (const id of ids) {
    const got = await watch(bClient, path, input(id));
    if (got.kinds.some((k) => k !== "error:not_found"))
      problems.push(`${path} on A's ${id} delivered ${got.kinds.join(", ")}`);
    const baseline = await watch(bClient, path, input(randomUUID()));
    if (got.kinds.join() !== baseline.kinds.join())
      problems.push(`${path}: A's id gives ${got.kinds.join()}, an unknown one ${baseline.kinds.join()}`);
  }
}

async function expectOk(what: string, attempt: Promise<Outcome>): Promise<unknown> {
  const outcome = await attempt;
  if (!outcome.ok) problems.push(`${what}: ${summary(outcome)}`);
  return outcome.ok ? outcome.data : undefined;
}

/** A listing of B's: succeeds, and (when asked) shows B's own row, proving it is not empty by accident. */
async function ownPage(what: string, attempt: Promise<Outcome>, bOwnId?: string) {
  const data = await expectOk(what, attempt);
  if (bOwnId && !JSON.stringify(data).includes(bOwnId)) problems.push(`${what} lacks B's own ${bOwnId}`);
}

/** The same cursor naming an id nothing has. */
function lookalike(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  return Buffer.from(text.replace(UUID_PATTERN, randomUUID())).toString("base64url");
}

/** B pages with A's cursor: the page reveals nothing (it equals the page of a cursor naming nothing). */
async function cursorBlind(what: string, cursor: string, attempt: (cursor: string) => Promise<Outcome>) {
  const withA = await attempt(cursor);
  const fake = lookalike(cursor);
  const withFake = await attempt(fake);
  if (normalized(withA, cursor) !== normalized(withFake, fake))
    problems.push(`${what}: A's cursor gives ${summary(withA)}, an unknown one ${summary(withFake)}`);
}

async function forbidden(path: string, input?: unknown) {
  const outcome = await call(path, input);
  if (outcome.ok || outcome.code !== "forbidden")
    problems.push(`${path}: ${summary(outcome)}, not forbidden`);
}

// ---------------------------------------------------------------------------------------------
// What A (and B) own

interface Seed {
  tickets: { classified: string; pending: string[] };
  jobs: { queued: string; cancelled: string; completed: string; dead: string; system: string[] };
  batches: { draft: string; completed: string };
  streams: Record<"chat" | "cascade", { path: string; id: string; request: unknown; events: unknown[] }>;
  cursors: { tickets: string; jobs: string; batches: string; requests: string; responses: string };
  /** Deterministic prompts A sent (so their answers are cached for A), one per probe of B's. */
  prompts: Record<"trpc" | "cascade" | "rest" | "responses", ChatPrompt>;
  idempotencyKey: string;
  webhookSecret: string;
  keyId: string;
  tenantName: string;
  /** A's OpenAI-shaped batch (finished) and its input and output files. */
  openai: { batch: string; input: string; output: string };
  b: { ticket: string; job: string; batch: string; file: string };
}
let A: Seed;
type ChatPrompt = { model: string; temperature: number; messages: { role: "user"; content: string }[] };

const ticketIds = () => [A.tickets.classified, ...A.tickets.pending];
const jobIds = () => [A.jobs.queued, A.jobs.cancelled, A.jobs.completed, A.jobs.dead, ...A.jobs.system];
const batchIds = () => [A.batches.draft, A.batches.completed];
const fileIds = () => [A.openai.input, A.openai.output];
const chatPayload = (content: string) => ({
  request: { model: "sim-small", messages: [{ role: "user" as const, content }], max_tokens: 16 },
});
const batchLine = (customId: string, content: string) => ({
  customId,
  body: { messages: [{ role: "user", content }], max_tokens: 8 },
});
const bChat = { model: "sim-small", messages: [{ role: "user", content: "B asks about B" }], max_tokens: 16 };
// Long enough that the cascade's draft can be accepted.
const bCascade = { ...bChat, model: "cascade:simulator", max_tokens: 80 };

/** Uploads a JSONL batch input through `POST /v1/files` (multipart, as the openai SDK sends it). */
async function uploadFile(key: string, jsonl: string, fetchImpl: typeof recordingFetch = fetch) {
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new Blob([jsonl]), "input.jsonl");
  const res = await fetchImpl(`${api.url}/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return (await res.json()) as { id: string };
}

/** A's batch through OpenAI's `/v1/batches`, run to the end, with its output file. */
async function seedOpenAiBatch(): Promise<Seed["openai"]> {
  const line = (n: number) =>
    JSON.stringify({
      custom_id: `${MARKER}-f${n}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: {
        model: "sim-small",
        messages: [{ role: "user", content: `${MARKER} file ${n}` }],
        max_tokens: 8,
      },
    });
  const input = await uploadFile(api.a.key, `${line(1)}\n${line(2)}\n`);
  const asA = (method: string, path: string, body?: unknown) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then((r) => r.json() as Promise<{ id: string; status: string; output_file_id: string | null }>);
  const batch = await asA("POST", "/v1/batches", {
    input_file_id: input.id,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
    metadata: { marker: MARKER },
  });
  const done = await eventually(
    "A's OpenAI-shaped batch",
    () => asA("GET", `/v1/batches/${batch.id}`),
    (x) => x.status === "completed",
  );
  return {
    batch: batch.id,
    input: input.id,
    output: done.output_file_id ?? fail("A's batch has no output file"),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean) {
  const check = async () => {
    const value = await read();
    return done(value) ? { value } : undefined;
  };
  const reached = await vi.waitUntil(check, {
    timeout: 20_000,
    interval: 100,
    message: `waiting for ${what}`,
  });
  return reached.value;
}

async function seedB(b: ReturnType<typeof trpcClient>) {
  // Older than all of A's rows, so a cursor of A's that positioned B's listing would show.
  const [ticket] = await b.tickets.create.mutate({
    tickets: [{ subject: "B's own ticket", body: "B's printer is on fire", customerEmail: "b@example.com" }],
  });
  const { job } = await b.jobs.enqueue.mutate({
    kind: "chat.complete",
    payload: chatPayload("B later"),
    runAt: inADay(),
  });
  const batch = await b.batches.create.mutate({
    name: "B draft",
    model: "sim-small",
    requests: [batchLine("b-1", "B")],
  });
  const file = await uploadFile(api.b.key, `${JSON.stringify({ custom_id: "b-f", body: bChat })}\n`);
  return { ticket: ticket!.id, job: job.id, batch: batch.id, file: file.id };
}

async function seedA(bOwn: Seed["b"]): Promise<Seed> {
  const a = trpcClient(api.a.key);
  const tickets = await a.tickets.create.mutate({
    tickets: [1, 2, 3].map((n) => ({
      subject: `${MARKER} subject ${n}`,
      body: `${MARKER} body ${n}: I was charged twice`,
      customerEmail: `${MARKER}@example.com`,
    })),
  });
  const [classified, ...pending] = tickets.map((x) => x.id) as [string, ...string[]];
  await a.tickets.classify.mutate({ id: classified });

  // B may well use the same key: it is not a secret of A's, so it carries no marker.
  const idempotencyKey = `queued-${randomUUID()}`;
  const enqueue = async (input: Parameters<typeof a.jobs.enqueue.mutate>[0]) =>
    (await a.jobs.enqueue.mutate(input)).job.id;
  const queued = await enqueue({
    kind: "chat.complete",
    payload: chatPayload(`${MARKER} later`),
    idempotencyKey,
    runAt: inADay(),
  });
  const cancelled = await enqueue({
    kind: "chat.complete",
    payload: chatPayload(`${MARKER} no`),
    runAt: inADay(),
  });
  await a.jobs.cancel.mutate({ id: cancelled });
  const completed = await enqueue({ kind: "chat.complete", payload: chatPayload(`${MARKER} now`) });
  // A ticket that does not exist: not_found is final, so the job dies at once.
  const dead = await enqueue({ kind: "tickets.classify", payload: { ticketId: randomUUID() } });

  const draft = await a.batches.create.mutate({
    name: `${MARKER} draft`,
    model: "sim-small",
    metadata: { marker: MARKER },
    requests: [batchLine(`${MARKER}-1`, `${MARKER} one`), batchLine(`${MARKER}-2`, `${MARKER} two`)],
  });
  const done = await a.batches.create.mutate({
    name: `${MARKER} done`,
    model: "sim-small",
    requests: [batchLine(`${MARKER}-3`, `${MARKER} three`), batchLine(`${MARKER}-4`, `${MARKER} four`)],
    submit: true,
  });

  const prompt = (probe: string): ChatPrompt => ({
    model: "sim-small",
    temperature: 0,
    messages: [{ role: "user", content: `${MARKER} ${probe}: what is my balance?` }],
  });
  const prompts = {
    trpc: prompt("trpc"),
    cascade: prompt("cascade"),
    rest: prompt("rest"),
    responses: prompt("responses"),
  };
  await a.chat.complete.mutate(prompts.trpc);
  expect((await a.chat.complete.mutate(prompts.trpc)).cacheHit).toBe(true);
  await a.chat.complete.mutate(prompts.rest);
  await a.chat.complete.mutate(prompts.responses);
  await a.cascade.run.mutate({ name: "simulator", request: prompts.cascade });

  const stream = async (path: string, model: string) => {
    const id = randomUUID();
    const request = { model, messages: [{ role: "user", content: `${MARKER} ${path}` }], max_tokens: 80 };
    const streamed = await watch(getUntypedClient(a), path, { streamId: id, request });
    expect(streamed.kinds.at(-1)).toBe("done");
    return { path, id, request, events: streamed.events };
  };
  const streams = {
    chat: await stream("chat.stream", "sim-small"),
    cascade: await stream("cascade.stream", "cascade:simulator"),
  };

  const status = (id: string) => a.jobs.get.query({ id }).then((j) => j.status);
  await eventually(
    "A's completed job",
    () => status(completed),
    (s) => s === "completed",
  );
  await eventually(
    "A's dead job",
    () => status(dead),
    (s) => s === "dead",
  );
  await eventually(
    "A's completed batch",
    () => a.batches.get.query({ id: done.id }),
    (x) => x.status === "completed",
  );
  const usage = await a.stats.usage.query();
  expect(usage.totals.calls).toBeGreaterThan(0);
  expect(usage.cascades.length).toBeGreaterThan(0);

  // Last, so no job of A's fires a webhook while B attacks.
  const hook = await a.webhooks.set.mutate({ url: `https://${MARKER}.example.com/hook` });
  const next = (page: { nextCursor: string | null }) => page.nextCursor ?? fail("A's listing has one page");
  // The system's jobs for A's batches (no tenant on them): B must not reach those either.
  const { rows: system } = await sql<{ id: string }>`
    select id from jobs where payload->>'batchId' = any(${[draft.id, done.id]}::text[])`.execute(t.db);
  expect(system.length).toBeGreaterThan(0);
  const key = await t.db
    .selectFrom("apiKeys")
    .select("id")
    .where("tenantId", "=", api.a.id)
    .executeTakeFirstOrThrow();
  const tenant = await t.db
    .selectFrom("tenants")
    .select("name")
    .where("id", "=", api.a.id)
    .executeTakeFirstOrThrow();
  return {
    tickets: { classified, pending },
    jobs: { queued, cancelled, completed, dead, system: system.map((r) => r.id) },
    batches: { draft: draft.id, completed: done.id },
    streams,
    cursors: {
      tickets: next(await a.tickets.list.query({ limit: 1 })),
      jobs: next(await a.jobs.list.query({ limit: 1 })),
      batches: next(await a.batches.list.query({ limit: 1 })),
      requests: next(await a.batches.requests.query({ id: draft.id, limit: 1 })),
      responses: next(await a.batches.responses.query({ id: done.id, limit: 1 })),
    },
    prompts,
    idempotencyKey,
    webhookSecret: hook.secret ?? fail("A's webhook has no secret"),
    keyId: key.id,
    tenantName: tenant.name,
    openai: await seedOpenAiBatch(),
    b: bOwn,
  };
}

/** Everything of A's in the database that B could change. */
async function snapshotOfA() {
  const db = t.db;
  const tenantId = api.a.id;
  await api.services.budget.flush();
  const rows = {
    tenant: await db.selectFrom("tenants").selectAll().where("id", "=", tenantId).execute(),
    keys: (await db.selectFrom("apiKeys").selectAll().where("tenantId", "=", tenantId).execute()).map(
      ({ lastUsedAt: _used, ...key }) => key,
    ),
    tickets: await db
      .selectFrom("tickets")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .orderBy("id")
      .execute(),
    jobs: await db.selectFrom("jobs").selectAll().where("tenantId", "=", tenantId).orderBy("id").execute(),
    jobEvents: await db
      .selectFrom("jobEvents")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .orderBy("id")
      .execute(),
    deadLetters: await db.selectFrom("deadLetters").selectAll().where("jobId", "in", jobIds()).execute(),
    batches: await db
      .selectFrom("batches")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .orderBy("id")
      .execute(),
    requests: await db
      .selectFrom("batchRequests")
      .selectAll()
      .where("batchId", "in", batchIds())
      .orderBy("batchId")
      .orderBy("seq")
      .execute(),
    responses: await db
      .selectFrom("batchResponses")
      .selectAll()
      .where("batchId", "in", batchIds())
      .orderBy("batchId")
      .orderBy("customId")
      .execute(),
    // Settled spend only: A's unused budget slices go back on their own when idle.
    spent: await db
      .selectFrom("tenantDailySpend")
      .select(["day", "spentMicros"])
      .where("tenantId", "=", tenantId)
      .execute(),
    files: await db.selectFrom("files").selectAll().where("tenantId", "=", tenantId).orderBy("id").execute(),
    openaiBatches: await db
      .selectFrom("openaiBatches")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .orderBy("batchId")
      .execute(),
    cache: await db
      .selectFrom("llmCache")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .orderBy("key")
      .execute(),
  };
  return JSON.parse(JSON.stringify(rows)) as Record<keyof typeof rows, unknown[]>;
}

const countOf = async (table: "tickets" | "batches", tenantId: string) =>
  Number(
    (
      await t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("tenantId", "=", tenantId)
        .executeTakeFirstOrThrow()
    ).n,
  );

// ---------------------------------------------------------------------------------------------
// The matrix: every procedure and REST route, and how B attacks A with it

/**
 * `public`/`own`: B's call names nothing of A's (or A's secrets as B's own input) and its answer is
 * scanned; `aggregate`: B's figures count only B's rows; `by id`, `mutation`, `subscription`: B
 * names A's ids and is not found; `list`: filters and A's cursors show none of A's rows; `admin`:
 * B's tenant key is forbidden (with A's ids as input).
 */
type How = "public" | "own" | "aggregate" | "list" | "by id" | "mutation" | "subscription" | "admin";
interface Row {
  how: How;
  attack: () => Promise<void>;
}

const byIdQuery = (path: string, ids: () => string[], extra: object = {}): Row => ({
  how: "by id",
  attack: () => refusedById(path, ids(), (id) => call(path, { id, ...extra })),
});
const byIdMutation = (path: string, ids: () => string[]): Row => ({
  how: "mutation",
  attack: () => refusedById(path, ids(), (id) => call(path, { id })),
});
const admin = (path: string, ...inputs: (() => unknown)[]): Row => ({
  how: "admin",
  attack: async () => {
    for (const input of inputs) await forbidden(path, input());
  },
});
const open = (path: string, input?: () => unknown, how: How = "public"): Row => ({
  how,
  attack: async () => void (await expectOk(path, call(path, input?.()))),
});
const TICKET_FILTERS = [
  {},
  { classified: true },
  { classified: false },
  { urgency: "high" },
  { category: "billing" },
];
const JOB_FILTERS = [
  {},
  ...["queued", "active", "completed", "failed", "cancelled", "dead"].map((status) => ({ status })),
  { kind: "chat.complete" },
  { kind: "tickets.classify" },
  { createdAfter: new Date(0) },
];

/** A stream of B's own under an id A uses: B's events, answered as for an id nothing has. */
async function streamUnderAsId(path: string, id: string, request: unknown) {
  const withA = await watch(bClient, path, { streamId: id, request });
  const fresh = await watch(bClient, path, { streamId: randomUUID(), request });
  if (withA.kinds.at(-1) !== fresh.kinds.at(-1))
    problems.push(
      `${path} under A's stream id ends ${withA.kinds.at(-1)}, under a fresh one ${fresh.kinds.at(-1)}`,
    );
}

/** B on A's stream id: resuming it is not found; starting one gives B a stream of its own. */
const streamRow = (path: string, of: keyof Seed["streams"], request: unknown): Row => ({
  how: "subscription",
  attack: async () => {
    const { id } = A.streams[of];
    await streamRefused(path, [id], (streamId) => ({ streamId, request, lastEventId: "1" }));
    await streamUnderAsId(path, id, request);
  },
});

const procedureMatrix: Record<string, Row> = {
  "health.check": open("health.check"),
  "chat.stream": streamRow("chat.stream", "chat", bChat),
  "chat.complete": {
    how: "own",
    attack: async () => {
      // A's exact deterministic prompt: B must not be served A's cached answer.
      const data = (await expectOk("chat.complete", call("chat.complete", A.prompts.trpc))) as {
        cacheHit?: boolean;
      };
      if (data?.cacheHit !== false) problems.push("chat.complete: B was served A's cached answer");
    },
  },
  "cascade.stream": streamRow("cascade.stream", "cascade", bCascade),
  "cascade.list": open("cascade.list"),
  "cascade.run": {
    how: "own",
    attack: async () => {
      const input = { name: "simulator", request: A.prompts.cascade };
      const data = (await expectOk("cascade.run", call("cascade.run", input))) as { cacheHit?: boolean };
      if (data?.cacheHit !== false) problems.push("cascade.run: B was served A's cached answer");
    },
  },
  "embeddings.create": open(
    "embeddings.create",
    () => ({ model: "text-embedding-3-small", input: "B" }),
    "own",
  ),
  "tickets.create": open(
    "tickets.create",
    () => ({
      tickets: [{ subject: "B again", body: "B's second ticket", customerEmail: "b@example.com" }],
    }),
    "own",
  ),
  "tickets.get": byIdQuery("tickets.get", ticketIds),
  "tickets.list": {
    how: "list",
    attack: async () => {
      for (const filter of TICKET_FILTERS) await ownPage("tickets.list", call("tickets.list", filter));
      await ownPage("tickets.list", call("tickets.list", {}), A.b.ticket);
      await cursorBlind("tickets.list", A.cursors.tickets, (cursor) => call("tickets.list", { cursor }));
    },
  },
  "tickets.classify": byIdMutation("tickets.classify", ticketIds),
  "tickets.classifyMany": {
    how: "mutation",
    attack: async () => {
      const ids = ticketIds();
      const outcome = await call("tickets.classifyMany", { ids });
      const items = (outcome.ok ? outcome.data : []) as { ok: boolean; error?: { code: string } }[];
      if (items.length !== ids.length || items.some((i) => i.ok || i.error?.code !== "not_found"))
        problems.push(`tickets.classifyMany with A's ids: ${summary(outcome)}`);
      const strangers = ids.map(() => randomUUID());
      const baseline = await call("tickets.classifyMany", { ids: strangers });
      if (normalized(outcome, ...ids) !== normalized(baseline, ...strangers))
        problems.push(
          `tickets.classifyMany: A's ids answer ${summary(outcome)}, unknown ones ${summary(baseline)}`,
        );
    },
  },
  "tickets.classifyPending": {
    how: "own",
    attack: async () => {
      // B's job classifies B's pending tickets; A's stay pending (the snapshot says).
      const job = (await expectOk("tickets.classifyPending", call("tickets.classifyPending"))) as {
        id: string;
      };
      if (!job) return;
      const final = await eventually(
        "B's classifyPending job",
        () => call("jobs.get", { id: job.id }),
        (o) => o.ok && ["completed", "dead"].includes((o.data as { status: string }).status),
      );
      if (!final.ok || (final.data as { status: string }).status !== "completed")
        problems.push(`B's classifyPending job: ${summary(final)}`);
    },
  },
  "tickets.classifyText": open("tickets.classifyText", () => ({ subject: "B", body: "B's question" }), "own"),
  "tickets.stats": {
    how: "aggregate",
    attack: async () => {
      const stats = (await expectOk("tickets.stats", call("tickets.stats"))) as { total: number };
      const own = await countOf("tickets", api.b.id);
      if (stats?.total !== own) problems.push(`tickets.stats counts ${stats?.total} tickets, B has ${own}`);
    },
  },
  "stats.usage": {
    how: "aggregate",
    attack: async () => {
      // Aggregates run before B calls any model: all of its usage is zero, while A's is not.
      for (const input of [undefined, { days: 366 }]) {
        const usage = (await expectOk("stats.usage", call("stats.usage", input))) as {
          totals: { calls: number; costMicros: number; cascadeRuns: number };
          byModel: unknown[];
          cascades: unknown[];
        };
        const { calls, costMicros, cascadeRuns } = usage?.totals ?? {
          calls: -1,
          costMicros: -1,
          cascadeRuns: -1,
        };
        if (
          calls !== 0 ||
          costMicros !== 0 ||
          cascadeRuns !== 0 ||
          usage.byModel.length + usage.cascades.length > 0
        )
          problems.push(`stats.usage shows B usage it never had: ${JSON.stringify(usage?.totals)}`);
      }
    },
  },
  "stats.spend": {
    how: "aggregate",
    attack: async () => {
      await forbidden("stats.spend", { tenantId: api.a.id });
      const report = (await expectOk(
        "stats.spend",
        call("stats.spend", { by: ["tenant", "key", "user", "model", "day"] }),
      )) as { groups: { tenantId?: string; apiKeyId?: string | null }[] };
      for (const group of report?.groups ?? [])
        if (group.tenantId !== api.b.id || group.apiKeyId === A.keyId)
          problems.push(`stats.spend shows B spend that is not its own: ${JSON.stringify(group)}`);
    },
  },
  "jobs.kinds": open("jobs.kinds"),
  "jobs.enqueue": {
    how: "own",
    attack: async () => {
      // A's idempotency key names nothing of B's: a new job of B's, not A's job.
      const input = {
        kind: "chat.complete",
        payload: chatPayload("B later"),
        idempotencyKey: A.idempotencyKey,
        runAt: inADay(),
      };
      const data = (await expectOk("jobs.enqueue", call("jobs.enqueue", input))) as { created: boolean };
      if (data?.created !== true)
        problems.push("jobs.enqueue with A's idempotency key did not create B's job");
    },
  },
  "jobs.get": byIdQuery("jobs.get", jobIds),
  "jobs.list": {
    how: "list",
    attack: async () => {
      for (const filter of JOB_FILTERS) await ownPage("jobs.list", call("jobs.list", filter));
      await ownPage("jobs.list", call("jobs.list", {}), A.b.job);
      await cursorBlind("jobs.list", A.cursors.jobs, (cursor) => call("jobs.list", { cursor }));
      await cursorBlind("jobs.list", A.cursors.jobs, (cursor) =>
        call("jobs.list", { cursor, status: "queued" }),
      );
    },
  },
  "jobs.cancel": byIdMutation("jobs.cancel", jobIds),
  "jobs.retry": byIdMutation("jobs.retry", jobIds),
  "jobs.result": byIdQuery("jobs.result", jobIds),
  "jobs.events": byIdQuery("jobs.events", jobIds, { afterId: 0 }),
  "jobs.onEvents": {
    how: "subscription",
    attack: async () => {
      await streamRefused("jobs.onEvents", jobIds(), (id) => ({ id }));
      await streamRefused("jobs.onEvents", [A.jobs.completed], (id) => ({ id, lastEventId: "1" }));
    },
  },
  "batches.create": open("batches.create", () => ({ name: "B second", model: "sim-small" }), "own"),
  "batches.addRequests": {
    how: "mutation",
    attack: async () => {
      const line = batchLine("b-x", "B's request");
      await refusedById("batches.addRequests", batchIds(), (id) =>
        call("batches.addRequests", { id, requests: [line] }),
      );
      await refusedById("batches.addRequests (jsonl)", batchIds(), (id) =>
        call("batches.addRequests", { id, jsonl: JSON.stringify({ custom_id: "b-y", body: line.body }) }),
      );
    },
  },
  "batches.list": {
    how: "list",
    attack: async () => {
      for (const status of [undefined, "draft", "completed", "submitted"])
        await ownPage("batches.list", call("batches.list", status ? { status } : {}));
      await ownPage("batches.list", call("batches.list", {}), A.b.batch);
      await cursorBlind("batches.list", A.cursors.batches, (cursor) => call("batches.list", { cursor }));
    },
  },
  "batches.get": byIdQuery("batches.get", batchIds),
  "batches.requests": {
    how: "by id",
    attack: async () => {
      await refusedById("batches.requests", batchIds(), (id) => call("batches.requests", { id }));
      // A's cursors are positions, not rows: on B's own batch they show B's requests only.
      await ownPage(
        "batches.requests",
        call("batches.requests", { id: A.b.batch, cursor: A.cursors.requests }),
      );
    },
  },
  "batches.responses": {
    how: "by id",
    attack: async () => {
      await refusedById("batches.responses", batchIds(), (id) => call("batches.responses", { id }));
      await ownPage(
        "batches.responses",
        call("batches.responses", { id: A.b.batch, cursor: A.cursors.responses }),
      );
    },
  },
  "batches.results": byIdQuery("batches.results", batchIds),
  "batches.submit": byIdMutation("batches.submit", batchIds),
  "batches.cancel": byIdMutation("batches.cancel", batchIds),
  "batches.delete": byIdMutation("batches.delete", batchIds),
  "batches.stats": {
    how: "aggregate",
    attack: async () => {
      const stats = (await expectOk("batches.stats", call("batches.stats"))) as {
        batches: number;
        costMicros: number;
      };
      const own = await countOf("batches", api.b.id);
      if (stats?.batches !== own || stats.costMicros !== 0)
        problems.push(`batches.stats counts ${JSON.stringify(stats)}, B has ${own} drafts`);
    },
  },
  "batches.onProgress": {
    how: "subscription",
    attack: () => streamRefused("batches.onProgress", batchIds(), (id) => ({ id })),
  },
  "webhooks.get": {
    how: "own",
    attack: async () => {
      const hook = (await expectOk("webhooks.get", call("webhooks.get"))) as { url: string | null };
      if (hook?.url !== null) problems.push(`webhooks.get shows B an endpoint it never set: ${hook?.url}`);
    },
  },
  "webhooks.set": open(
    "webhooks.set",
    () => ({ url: "https://b.example.com/hook", rotateSecret: true }),
    "own",
  ),
  "deadLetters.list": admin(
    "deadLetters.list",
    () => undefined,
    () => ({ kind: "tickets.classify" }),
  ),
  "deadLetters.get": admin("deadLetters.get", () => ({ id: A.jobs.dead })),
  "deadLetters.requeue": admin(
    "deadLetters.requeue",
    () => ({ ids: [A.jobs.dead] }),
    () => ({ all: true }),
  ),
  "deadLetters.purge": admin("deadLetters.purge", () => ({ before: inADay() })),
  "tenants.create": admin("tenants.create", () => ({ name: `B's tenant ${randomUUID()}` })),
  "tenants.list": admin("tenants.list", () => ({ includeDisabled: true })),
  "tenants.find": admin(
    "tenants.find",
    () => ({ ref: api.a.id }),
    () => ({ ref: "a" }),
  ),
  "tenants.disable": admin("tenants.disable", () => ({ id: api.a.id })),
  "tenants.enable": admin("tenants.enable", () => ({ id: api.a.id })),
  "tenants.setLimits": admin("tenants.setLimits", () => ({ id: api.a.id, dailyBudgetMicros: 0 })),
  "apiKeys.create": admin("apiKeys.create", () => ({ tenantId: api.a.id, role: "admin" })),
  "apiKeys.list": admin("apiKeys.list", () => ({ tenantId: api.a.id, includeRevoked: true })),
  "apiKeys.find": admin(
    "apiKeys.find",
    () => ({ ref: A.keyId }),
    () => ({ ref: "slk_", tenant: api.a.id }),
  ),
  "apiKeys.revoke": admin("apiKeys.revoke", () => ({ id: A.keyId })),
  "apiKeys.update": admin("apiKeys.update", () => ({ id: A.keyId, allowedModels: ["none"] })),
  "apiKeys.rotate": admin("apiKeys.rotate", () => ({ id: A.keyId, graceSeconds: 0 })),
};

const restById = (
  method: string,
  template: string,
  ids: () => string[],
  body?: unknown,
  type?: string,
): Row => ({
  how: method === "GET" ? "by id" : "mutation",
  attack: () =>
    refusedById(`${method} ${template}`, ids(), (id) =>
      rest(method, template.replace(":id", id), body, type),
    ),
});
const restOpen = (method: string, path: string, body?: unknown, how: How = "public"): Row => ({
  how,
  attack: async () => void (await expectOk(`${method} ${path}`, rest(method, path, body))),
});
const jsonlLine = JSON.stringify({ custom_id: "b-z", body: { messages: [{ role: "user", content: "B" }] } });

const restMatrix: Record<string, Row> = {
  "GET /metrics": restOpen("GET", "/metrics"),
  "GET /healthz": restOpen("GET", "/healthz"),
  "GET /readyz": restOpen("GET", "/readyz"),
  "GET /v1/models": restOpen("GET", "/v1/models"),
  "GET /v1/spend": {
    how: "aggregate",
    attack: async () => {
      const other = await rest("GET", `/v1/spend?tenant_id=${api.a.id}`);
      if (other.ok || other.code !== "forbidden")
        problems.push(`GET /v1/spend of A's tenant: ${summary(other)}`);
      const report = (await expectOk("GET /v1/spend", rest("GET", "/v1/spend?by=tenant,key,user"))) as {
        groups: { tenantId?: string; apiKeyId?: string | null }[];
      };
      for (const group of report?.groups ?? [])
        if (group.tenantId !== api.b.id || group.apiKeyId === A.keyId)
          problems.push(`GET /v1/spend shows B spend that is not its own: ${JSON.stringify(group)}`);
    },
  },
  "POST /v1/chat/completions": {
    how: "own",
    attack: async () => {
      await expectOk(
        "streamed chat",
        rest("POST", "/v1/chat/completions", { ...A.prompts.rest, stream: true }),
      );
      const data = (await expectOk("chat", rest("POST", "/v1/chat/completions", A.prompts.rest))) as {
        sluice?: { cache_hit?: boolean };
      };
      if (data?.sluice?.cache_hit !== false)
        problems.push("POST /v1/chat/completions: B got A's cached answer");
    },
  },
  "POST /v1/responses": {
    how: "own",
    // The same prompt A's chat call cached, as a Responses request: B must not get A's answer.
    attack: async () => {
      const { model, temperature, messages } = A.prompts.responses;
      const body = { model, temperature, input: messages[0]?.content };
      // The plain call first: B has never sent this prompt, so only A's entry could answer it.
      const data = (await expectOk("response", rest("POST", "/v1/responses", body))) as {
        sluice?: { cache_hit?: boolean };
      };
      if (data?.sluice?.cache_hit !== false) problems.push("POST /v1/responses: B got A's cached answer");
      await expectOk("streamed response", rest("POST", "/v1/responses", { ...body, stream: true }));
    },
  },
  "POST /v1/embeddings": restOpen(
    "POST",
    "/v1/embeddings",
    { model: "text-embedding-3-small", input: "B" },
    "own",
  ),
  "POST /v1/messages": {
    how: "own",
    attack: async () => {
      // A's cached prompt, asked in Anthropic's shape: B pays for its own answer.
      const body = { ...A.prompts.rest, max_tokens: 64 };
      await expectOk("streamed messages", rest("POST", "/v1/messages", { ...body, stream: true }));
      const data = (await expectOk("messages", rest("POST", "/v1/messages", body))) as {
        sluice?: { cache_hit?: boolean };
      };
      if (data?.sluice?.cache_hit !== false) problems.push("POST /v1/messages: B got A's cached answer");
    },
  },
  "POST /v1/messages/count_tokens": restOpen(
    "POST",
    "/v1/messages/count_tokens",
    { model: "sim-small", messages: [{ role: "user", content: "B" }] },
    "own",
  ),
  "POST /v1/messages/batches": restOpen(
    "POST",
    "/v1/messages/batches",
    {
      requests: [
        {
          custom_id: "b-m",
          params: { model: "sim-small", max_tokens: 8, messages: [{ role: "user", content: "B" }] },
        },
      ],
    },
    "own",
  ),
  "GET /v1/messages/batches": {
    how: "list",
    attack: async () => {
      await ownPage("GET /v1/messages/batches", rest("GET", "/v1/messages/batches?limit=200"), A.b.batch);
      await refusedAfter("GET /v1/messages/batches", batchIds(), (id) =>
        rest("GET", `/v1/messages/batches?after_id=${id}`),
      );
    },
  },
  "GET /v1/messages/batches/:id": restById("GET", "/v1/messages/batches/:id", batchIds),
  "POST /v1/messages/batches/:id/cancel": restById("POST", "/v1/messages/batches/:id/cancel", batchIds),
  "GET /v1/messages/batches/:id/results": restById("GET", "/v1/messages/batches/:id/results", batchIds),
  "POST /v1/jobs": {
    how: "own",
    attack: async () => {
      const body = {
        kind: "chat.complete",
        payload: chatPayload("B"),
        idempotency_key: `${A.idempotencyKey}`,
        run_at: inADay(),
      };
      const job = (await expectOk("POST /v1/jobs", rest("POST", "/v1/jobs", body))) as { id: string };
      if (job && jobIds().includes(job.id))
        problems.push("POST /v1/jobs with A's idempotency key gave A's job");
    },
  },
  "GET /v1/jobs": {
    how: "list",
    attack: async () => {
      for (const status of ["queued", "completed", "cancelled", "dead"])
        await ownPage("GET /v1/jobs", rest("GET", `/v1/jobs?status=${status}`));
      await ownPage("GET /v1/jobs", rest("GET", "/v1/jobs?kind=tickets.classify"));
      await ownPage("GET /v1/jobs", rest("GET", "/v1/jobs"), A.b.job);
      await cursorBlind("GET /v1/jobs", A.cursors.jobs, (cursor) => rest("GET", `/v1/jobs?cursor=${cursor}`));
    },
  },
  "GET /v1/jobs/:id": restById("GET", "/v1/jobs/:id", jobIds),
  "GET /v1/jobs/:id/events": restById("GET", "/v1/jobs/:id/events", jobIds),
  "DELETE /v1/jobs/:id": restById("DELETE", "/v1/jobs/:id", jobIds),
  "POST /v1/sluice/batches": restOpen(
    "POST",
    "/v1/sluice/batches",
    { name: "B rest", model: "sim-small" },
    "own",
  ),
  "GET /v1/sluice/batches": {
    how: "list",
    attack: async () => {
      await ownPage("GET /v1/sluice/batches", rest("GET", "/v1/sluice/batches?status=completed"));
      await ownPage("GET /v1/sluice/batches", rest("GET", "/v1/sluice/batches"), A.b.batch);
      await cursorBlind("GET /v1/sluice/batches", A.cursors.batches, (c) =>
        rest("GET", `/v1/sluice/batches?cursor=${c}`),
      );
    },
  },
  "GET /v1/sluice/batches/stats": {
    how: "aggregate",
    attack: async () => {
      const stats = (await expectOk(
        "GET /v1/sluice/batches/stats",
        rest("GET", "/v1/sluice/batches/stats"),
      )) as {
        batches: number;
        cost_micros: number;
      };
      const own = await countOf("batches", api.b.id);
      if (stats?.batches !== own || stats.cost_micros !== 0)
        problems.push(`GET /v1/sluice/batches/stats counts ${JSON.stringify(stats)}, B has ${own} drafts`);
    },
  },
  "GET /v1/sluice/batches/:id": restById("GET", "/v1/sluice/batches/:id", batchIds),
  "POST /v1/sluice/batches/:id/requests": {
    how: "mutation",
    attack: async () => {
      await restById(
        "POST",
        "/v1/sluice/batches/:id/requests",
        batchIds,
        jsonlLine,
        "application/jsonl",
      ).attack();
      await restById("POST", "/v1/sluice/batches/:id/requests", batchIds, {
        requests: [batchLine("b-j", "B")],
      }).attack();
    },
  },
  "GET /v1/sluice/batches/:id/requests": restById("GET", "/v1/sluice/batches/:id/requests", batchIds),
  "GET /v1/sluice/batches/:id/responses": restById("GET", "/v1/sluice/batches/:id/responses", batchIds),
  "GET /v1/sluice/batches/:id/results": restById("GET", "/v1/sluice/batches/:id/results", batchIds),
  "POST /v1/sluice/batches/:id/submit": restById("POST", "/v1/sluice/batches/:id/submit", batchIds),
  "POST /v1/sluice/batches/:id/cancel": restById("POST", "/v1/sluice/batches/:id/cancel", batchIds),
  "DELETE /v1/sluice/batches/:id": restById("DELETE", "/v1/sluice/batches/:id", batchIds),
  "POST /v1/files": {
    how: "own",
    attack: async () => {
      const own = await uploadFile(
        api.b.key,
        `${JSON.stringify({ custom_id: "b-g", body: bChat })}\n`,
        recordingFetch,
      );
      if (fileIds().includes(own.id)) problems.push("POST /v1/files gave B one of A's files");
    },
  },
  "GET /v1/files": {
    how: "list",
    attack: async () => {
      for (const purpose of ["", "?purpose=batch", "?purpose=batch_output"])
        await ownPage("GET /v1/files", rest("GET", `/v1/files${purpose}`));
      await ownPage("GET /v1/files", rest("GET", "/v1/files"), A.b.file);
      await refusedAfter("GET /v1/files", fileIds(), (id) => rest("GET", `/v1/files?after=${id}`));
    },
  },
  "GET /v1/files/:id": restById("GET", "/v1/files/:id", fileIds),
  "GET /v1/files/:id/content": restById("GET", "/v1/files/:id/content", fileIds),
  "DELETE /v1/files/:id": restById("DELETE", "/v1/files/:id", fileIds),
  "POST /v1/batches": {
    how: "mutation",
    attack: () =>
      refusedById("POST /v1/batches", fileIds(), (id) =>
        rest("POST", "/v1/batches", {
          input_file_id: id,
          endpoint: "/v1/chat/completions",
          completion_window: "24h",
        }),
      ),
  },
  "GET /v1/batches": {
    how: "list",
    attack: async () => {
      await ownPage("GET /v1/batches", rest("GET", "/v1/batches"));
      await refusedAfter("GET /v1/batches", [A.openai.batch], (id) => rest("GET", `/v1/batches?after=${id}`));
    },
  },
  "GET /v1/batches/:id": restById("GET", "/v1/batches/:id", () => [A.openai.batch]),
  "POST /v1/batches/:id/cancel": restById("POST", "/v1/batches/:id/cancel", () => [A.openai.batch]),
};

/** A's ids and secrets, raw and as the cursors that would name them. */
function secretsOfA(): string[] {
  const ids = [
    api.a.id,
    A.keyId,
    A.streams.chat.id,
    A.streams.cascade.id,
    ...ticketIds(),
    ...jobIds(),
    ...batchIds(),
    ...fileIds(),
    A.openai.batch,
  ];
  const cursors = ids.flatMap((id) =>
    ["t", "j", "b"].map((p) => Buffer.from(`${p}:${id}`).toString("base64url")),
  );
  return [MARKER, A.webhookSecret, api.a.key, A.tenantName, ...ids, ...cursors];
}

beforeAll(async () => {
  api = await startTestApi(t, {
    // A budget, so A's spend is recorded: none of B's may be charged to it.
    tenantLimits: { dailyBudgetMicros: 50_000_000 },
    worker: { batchPollMs: 100 },
    batchTimings: { validatingMs: 50, inProgressMs: 200, finalizingMs: 50 },
  });
  const b = trpcClient(api.b.key, recordingFetch);
  bClient = getUntypedClient(b);
  A = await seedA(await seedB(b));
});
afterAll(() => api?.close());

describe("tenant isolation", () => {
  it("has a row for every tRPC procedure and every REST route", () => {
    const missing = (all: string[], table: object) => all.filter((p) => !Object.hasOwn(table, p));
    expect(missing(Object.keys(procedures), procedureMatrix), "procedures without a row").toEqual([]);
    expect(missing(Object.keys(procedureMatrix), procedures), "rows of procedures that are gone").toEqual([]);
    const routes = restRoutes(api.services);
    expect(missing(routes, restMatrix), "REST routes without a row").toEqual([]);
    expect(
      missing(Object.keys(restMatrix), Object.fromEntries(routes.map((r) => [r, r]))),
      "stale rows",
    ).toEqual([]);
  });

  it("never lets tenant B read, change or stream tenant A's data", async () => {
    const before = await snapshotOfA();
    for (const [table, rows] of Object.entries(before))
      expect(rows.length, `A's ${table}`).toBeGreaterThan(0);
    const first = exchanges.length;
    const rows = [...Object.values(procedureMatrix), ...Object.values(restMatrix)];
    // Aggregates first: B has spent nothing yet, so any usage it is shown is someone else's.
    for (const row of rows.filter((r) => r.how === "aggregate")) await row.attack();
    for (const row of rows.filter((r) => r.how !== "aggregate")) await row.attack();
    await Promise.all(exchanges.map((e) => e.read));

    const secrets = secretsOfA();
    const leaks = exchanges.flatMap((e) => {
      const found = secrets.filter((s) => e.body.includes(s) && !e.sent.includes(s));
      return found.length > 0 ? [`${e.status} ${e.sent.split("\n")[0]} → ${found.join(", ")}`] : [];
    });
    console.log(`isolation: ${exchanges.length - first} cross-tenant attempts, ${leaks.length} leaks`);
    expect({ leaks, problems }).toEqual({ leaks: [], problems: [] });

    expect(await snapshotOfA(), "A's rows after B's attempts").toEqual(before);
    // A's streams are still A's, event for event.
    for (const { path, id, request, events } of Object.values(A.streams)) {
      const again = await watch(getUntypedClient(trpcClient(api.a.key)), path, {
        streamId: id,
        request,
        lastEventId: "0",
      });
      expect(again.events).toEqual(events);
    }
  });
});
