import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateWebhookSecret, type HostResolver } from "@sluice/core";
import { findJob, listWebhookDeliveries, setTenantWebhook } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

// Webhooks with the default setting (public addresses only), through the real API and its worker.
const t = useTestDatabase();
let api: TestApi;
let receiver: Server;
let port: number;
const received: string[] = [];

/** Every forbidden range, by one address in it, with the range the refusal names. */
const FORBIDDEN = [
  ["127.0.0.1", "loopback"],
  ["10.0.0.1", "private"],
  ["172.16.0.1", "private"],
  ["192.168.1.1", "private"],
  ["169.254.1.1", "linkLocal"],
  ["169.254.169.254", "metadata"],
  ["100.100.100.200", "metadata"],
  ["100.64.0.1", "sharedAddressSpace"],
  ["224.0.0.1", "multicast"],
  ["0.0.0.0", "unspecified"],
  ["255.255.255.255", "broadcast"],
  ["192.0.2.1", "documentation"],
  ["198.18.0.1", "benchmarking"],
  ["240.0.0.1", "reserved"],
  ["::1", "loopback"],
  ["fc00::1", "uniqueLocal"],
  ["fe80::1", "linkLocal"],
  ["ff02::1", "multicast"],
  ["::", "unspecified"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:169.254.169.254", "metadata"],
  ["::127.0.0.1", "reserved"],
  ["fd00:ec2::254", "metadata"],
  ["64:ff9b::7f00:1", "translation"],
  ["2001:db8::1", "documentation"],
] as const;

const PUBLIC = "93.184.215.14";
const family = (address: string) => (address.includes(":") ? 6 : 4);
const hostOf = (address: string) => (address.includes(":") ? `[${address}]` : address);

/**
 * The resolver seam: `rN.resolves.example` always answers the Nth forbidden address;
 * `dN.rebinds.example` answers a public address first and the Nth forbidden one from then on
 * (DNS rebinding between enqueue and delivery); `hooks.customer.example` is public.
 */
const lookups = new Map<string, number>();
const resolveHost: HostResolver = async (hostname) => {
  const seen = (lookups.get(hostname) ?? 0) + 1;
  lookups.set(hostname, seen);
  const [, kind, n] = /^([rd])(\d+)\./.exec(hostname) ?? [];
  if (hostname === "hooks.customer.example") return [{ address: PUBLIC, family: 4 }];
  const row = n === undefined ? undefined : FORBIDDEN[Number(n)];
  if (!row) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  const address = kind === "d" && seen === 1 ? PUBLIC : row[0];
  return [{ address, family: family(address) }];
};

beforeAll(async () => {
  // A receiver on loopback: were any refused delivery sent anyway, it would land here.
  receiver = createServer((req, res) => {
    received.push(req.url ?? "");
    req.resume();
    res.statusCode = 204;
    res.end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = (receiver.address() as AddressInfo).port;
  api = await startTestApi(t, { worker: true, resolveHost });
});
afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => receiver.close(resolve));
});

/** The fields these tests read from a REST answer: a job, or an error with its request id. */
interface RestAnswer {
  id: string;
  webhook_url: string;
  error: { code: string; details: Record<string, unknown> };
  request_id: string;
}

const chatPayload = {
  request: { model: "sim-small", messages: [{ role: "user", content: "hi" }], max_tokens: 5 },
};

async function rest(path: string, key: string, body: unknown, requestId = crypto.randomUUID()) {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "x-request-id": requestId,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as RestAnswer, requestId };
}

async function trpc(path: string, key: string, input: unknown) {
  const res = await fetch(`${api.url}/trpc/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  const body = (await res.json()) as {
    error?: { json: { data: { code: string; error: { code: string } } } };
  };
  return { status: res.status, trpcCode: body.error?.json.data.code, code: body.error?.json.data.error.code };
}

const jobCount = async (key: string) => {
  const res = await fetch(`${api.url}/v1/jobs?limit=200`, { headers: { authorization: `Bearer ${key}` } });
  return ((await res.json()) as { data: unknown[] }).data.length;
};

describe("outbound URLs at enqueue", () => {
  it.each(FORBIDDEN.map(([address, kind], i) => [address, kind, i] as const))(
    "refuses %s (%s) written literally and behind a name, with 400 unsafe_url and the request id",
    async (address, kind, i) => {
      const before = await jobCount(api.a.key);
      for (const url of [`http://${hostOf(address)}:${port}/hook`, `https://r${i}.resolves.example/hook`]) {
        const answer = await rest("/v1/jobs", api.a.key, {
          kind: "chat.complete",
          payload: chatPayload,
          webhook_url: url,
        });
        expect(answer.status, url).toBe(400);
        expect(answer.body).toMatchObject({
          error: {
            code: "unsafe_url",
            details: { field: "webhookUrl", reason: "forbidden_address", range: kind },
          },
          request_id: answer.requestId,
        });
      }
      expect(await jobCount(api.a.key)).toBe(before);
    },
  );

  it.each([
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://0251.0376.0251.0376/latest/meta-data",
    "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
    "http://169.254.169.254./latest/meta-data",
  ])("refuses the spelling %s, which URL parsing turns into a forbidden address", async (url) => {
    const answer = await rest("/v1/jobs", api.a.key, {
      kind: "chat.complete",
      payload: chatPayload,
      webhook_url: url,
    });
    expect([answer.status, answer.body.error.code]).toEqual([400, "unsafe_url"]);
  });

  it("refuses schemes other than http(s) as invalid input", async () => {
    for (const url of [
      "ftp://hooks.customer.example/",
      "file:///etc/passwd",
      "gopher://hooks.customer.example/",
    ]) {
      const answer = await rest("/v1/jobs", api.a.key, {
        kind: "chat.complete",
        payload: chatPayload,
        webhook_url: url,
      });
      expect([answer.status, answer.body.error.code], url).toEqual([400, "validation_error"]);
    }
  });

  it("refuses on every surface that stores a webhook URL: tRPC jobs, tickets, batches, the tenant's webhook, REST batches", async () => {
    const url = "http://169.254.169.254/latest/meta-data/iam";
    const refusals = [
      await trpc("jobs.enqueue", api.a.key, { kind: "chat.complete", payload: chatPayload, webhookUrl: url }),
      await trpc("tickets.classifyPending", api.a.key, { webhookUrl: url }),
      await trpc("batches.create", api.a.key, { name: "hooked", model: "sim-small", webhookUrl: url }),
      await trpc("webhooks.set", api.a.key, { url }),
    ];
    for (const refusal of refusals)
      expect(refusal).toEqual({ status: 400, trpcCode: "BAD_REQUEST", code: "unsafe_url" });
    const batch = await rest("/v1/sluice/batches", api.a.key, {
      name: "hooked",
      model: "sim-small",
      webhook_url: url,
    });
    expect([batch.status, batch.body.error.code]).toEqual([400, "unsafe_url"]);
    const hook = await fetch(`${api.url}/trpc/webhooks.get`, {
      headers: { authorization: `Bearer ${api.a.key}` },
    });
    expect(
      ((await hook.json()) as { result: { data: { json: { url: string | null } } } }).result.data.json.url,
    ).toBeNull();
  });

  it("accepts a public name, judged by what it resolves to", async () => {
    const answer = await rest("/v1/jobs", api.a.key, {
      kind: "chat.complete",
      payload: chatPayload,
      webhook_url: "https://hooks.customer.example/sluice",
      // Never due during the test: nothing is posted to the (unreachable) public address.
      run_at: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ webhook_url: "https://hooks.customer.example/sluice" });
  });
});

/** The refused delivery attempt of a job's webhook: one record, and the delivery job dead after one attempt. */
async function refusedDelivery(jobId: string) {
  await expect
    .poll(async () => (await listWebhookDeliveries(t.db, jobId)).length, { timeout: 20_000 })
    .toBe(1);
  const [record] = await listWebhookDeliveries(t.db, jobId);
  await expect
    .poll(async () => (await findJob(t.db, record!.deliveryJobId!))?.status, { timeout: 10_000 })
    .toBe("dead");
  return { record: record!, delivery: (await findJob(t.db, record!.deliveryJobId!))! };
}

describe("outbound URLs at delivery", () => {
  it("refuses each forbidden range when a name moves there after enqueue: dead at once, recorded, nothing sent", async () => {
    const jobs = await Promise.all(
      FORBIDDEN.map(async (_, i) => {
        const url = `http://d${i}.rebinds.example:${port}/hook-${i}`;
        const answer = await rest("/v1/jobs", api.a.key, {
          kind: "chat.complete",
          payload: chatPayload,
          webhook_url: url,
        });
        expect(answer.status, url).toBe(202);
        return answer.body.id;
      }),
    );
    for (const [i, jobId] of jobs.entries()) {
      const { record, delivery } = await refusedDelivery(jobId);
      expect(record, FORBIDDEN[i]![0]).toMatchObject({
        statusCode: null,
        delivered: false,
        error: expect.stringMatching(new RegExp(`d${i}\\.rebinds\\.example resolves to .*\\(`)),
      });
      expect(delivery, FORBIDDEN[i]![0]).toMatchObject({
        status: "dead",
        attempts: 1,
        errorCode: "unsafe_url",
      });
    }
    expect(received).toEqual([]);
  });

  it("refuses a stored URL that was never judged (set before the check) the same way", async () => {
    const legacy = await api.tenant("legacy", "tenant");
    await setTenantWebhook(t.db, legacy.id, {
      url: `http://[::ffff:127.0.0.1]:${port}/legacy`,
      secret: generateWebhookSecret(),
    });
    const answer = await rest("/v1/jobs", legacy.key, { kind: "chat.complete", payload: chatPayload });
    expect(answer.status).toBe(202);
    const { record, delivery } = await refusedDelivery(answer.body.id);
    expect(record.error).toMatch(/refused: ::ffff:7f00:1 is a loopback address/);
    expect(delivery).toMatchObject({ status: "dead", attempts: 1, errorCode: "unsafe_url" });
    expect(received).toEqual([]);
  });
});
