import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HostResolver } from "@sluice/core";
import { listWebhookDeliveries } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

// Webhooks with SLUICE_ALLOW_PRIVATE_WEBHOOKS=true (local development), through the real API and its worker.
const t = useTestDatabase();
let api: TestApi;
let receiver: Server;
let port: number;
const received: { path: string; headers: IncomingHttpHeaders }[] = [];

/** `hooks.customer.example` does not exist in real DNS: only a connection pinned to what this says reaches the receiver. */
const resolveHost: HostResolver = async (hostname) => {
  if (hostname === "hooks.customer.example") return [{ address: "127.0.0.1", family: 4 }];
  if (hostname === "metadata.google.internal") return [{ address: "169.254.169.254", family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push({ path: req.url ?? "", headers: req.headers });
    req.resume();
    if (req.url === "/redirect") {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/redirected` }).end();
      return;
    }
    res.statusCode = 204;
    res.end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = (receiver.address() as AddressInfo).port;
  api = await startTestApi(t, { worker: true, resolveHost, env: { SLUICE_ALLOW_PRIVATE_WEBHOOKS: "true" } });
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

async function enqueue(webhookUrl: string) {
  const res = await fetch(`${api.url}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify({ kind: "chat.complete", payload: chatPayload, webhook_url: webhookUrl }),
  });
  return { status: res.status, body: (await res.json()) as RestAnswer };
}

describe("outbound URLs with private targets allowed", () => {
  it("delivers to a name through the address it resolved to, pinned, with the name as Host", async () => {
    const url = `http://hooks.customer.example:${port}/pinned`;
    const answer = await enqueue(url);
    expect(answer.status).toBe(202);
    await expect.poll(() => received.filter((r) => r.path === "/pinned").length, { timeout: 20_000 }).toBe(1);
    expect(received.find((r) => r.path === "/pinned")!.headers.host).toBe(`hooks.customer.example:${port}`);
    await expect
      .poll(async () => (await listWebhookDeliveries(t.db, answer.body.id))[0]?.delivered, {
        timeout: 10_000,
      })
      .toBe(true);
  });

  it("does not follow a redirect: the 3xx is a failed attempt and its target hears nothing", async () => {
    const answer = await enqueue(`http://127.0.0.1:${port}/redirect`);
    expect(answer.status).toBe(202);
    await expect
      .poll(async () => (await listWebhookDeliveries(t.db, answer.body.id)).length, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    const [first] = await listWebhookDeliveries(t.db, answer.body.id);
    expect(first).toMatchObject({
      statusCode: 302,
      delivered: false,
      error: expect.stringMatching(/HTTP 302, a redirect \(not followed/),
    });
    expect(received.some((r) => r.path === "/redirect")).toBe(true);
    expect(received.some((r) => r.path === "/redirected")).toBe(false);
  });

  it("still refuses cloud metadata, literally or behind a name", async () => {
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "http://metadata.google.internal/computeMetadata/v1/",
      "http://[fd00:ec2::254]/",
    ]) {
      const answer = await enqueue(url);
      expect([answer.status, answer.body.error.code, answer.body.error.details.range], url).toEqual([
        400,
        "unsafe_url",
        "metadata",
      ]);
    }
  });
});
