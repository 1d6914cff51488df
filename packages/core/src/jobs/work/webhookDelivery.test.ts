import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ensureTenantWebhookSecret, insertJobs, insertTenant, listWebhookDeliveries } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboundGuard } from "../../outbound/outboundGuard.ts";
import { newJobId } from "../jobIds.ts";
import { SIGNATURE_HEADER, verifyWebhook } from "../webhookSignature.ts";
import { deliverWebhook, type WebhookTransport } from "./webhookDelivery.ts";

const t = useTestDatabase();
let server: Server;
let base: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let onHang: (() => void) | undefined;

beforeAll(async () => {
  // A receiver that answers with the status its path names (`/status/503`), or never (`/hang`).
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      if (req.url === "/hang") return onHang?.();
      res.writeHead(Number(req.url?.split("/").pop() ?? 200)).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const send: WebhookTransport = async (request, signal) => {
  const response = await fetch(request.url, {
    method: "POST",
    headers: request.headers,
    body: request.body,
    signal,
  });
  await response.body?.cancel();
  return response.status;
};

// The receiver listens on 127.0.0.1, which only a guard allowing private targets lets through.
const deps = () => ({ db: t.db, send, outbound: createOutboundGuard({ allowPrivate: true }) });

async function finishedJob() {
  const tenant = await insertTenant(t.db, { name: `hooks-${crypto.randomUUID()}` });
  const secret = (await ensureTenantWebhookSecret(t.db, tenant.id, `whsec_${crypto.randomUUID()}`))!;
  const [job] = await insertJobs(t.db, [
    {
      id: newJobId(),
      tenantId: tenant.id,
      kind: "chat.complete",
      queue: "chat.complete",
      priority: 0,
      payload: "{}",
      maxAttempts: 1,
    },
  ]);
  return { tenant, secret, job: job! };
}

const attempt = (tenantId: string, n = 1, signal = new AbortController().signal) => ({
  id: newJobId(),
  tenantId,
  attempt: n,
  signal,
});

describe("webhook delivery", () => {
  it("posts the signed event and records a delivered attempt on a 2xx answer", async () => {
    const { tenant, secret, job } = await finishedJob();
    const delivery = attempt(tenant.id, 2);
    const url = `${base}/status/204`;
    expect(await deliverWebhook(deps(), { url, event: "job.completed", jobId: job.id }, delivery)).toEqual({
      statusCode: 204,
    });
    const last = received.at(-1)!;
    expect(verifyWebhook(secret, last.headers[SIGNATURE_HEADER] as string, last.body)).toBeNull();
    expect(last.headers).toMatchObject({ "sluice-delivery": delivery.id, "sluice-attempt": "2" });
    expect(JSON.parse(last.body)).toMatchObject({ event: "job.completed", job: { id: job.id } });
    expect(await listWebhookDeliveries(t.db, job.id)).toEqual([
      expect.objectContaining({
        deliveryJobId: delivery.id,
        tenantId: tenant.id,
        url,
        attempt: 2,
        statusCode: 204,
        error: null,
        delivered: true,
      }),
    ]);
  });

  it("records a non-2xx answer as undelivered and fails the attempt retriably", async () => {
    const { tenant, job } = await finishedJob();
    const url = `${base}/status/503`;
    const error = await deliverWebhook(
      deps(),
      { url, event: "job.failed", jobId: job.id },
      attempt(tenant.id),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "service_unavailable",
      message: "the receiver answered HTTP 503",
      details: { url, statusCode: 503 },
    });
    expect(error).toHaveProperty("retriable", true);
    expect(await listWebhookDeliveries(t.db, job.id)).toEqual([
      expect.objectContaining({ statusCode: 503, error: "the receiver answered HTTP 503", delivered: false }),
    ]);
  });

  it("records an unreachable receiver with no status", async () => {
    const { tenant, job } = await finishedJob();
    // Nothing listens on port 1: the connection is refused.
    const url = "http://127.0.0.1:1/hook";
    await expect(
      deliverWebhook(deps(), { url, event: "job.completed", jobId: job.id }, attempt(tenant.id)),
    ).rejects.toMatchObject({ code: "service_unavailable", details: { url, statusCode: null } });
    expect(await listWebhookDeliveries(t.db, job.id)).toEqual([
      expect.objectContaining({
        statusCode: null,
        error: expect.stringMatching(/^the receiver could not be reached: /),
        delivered: false,
      }),
    ]);
  });

  it("records the attempt of a cancelled delivery and gives the job back with the cancel's reason", async () => {
    const { tenant, job } = await finishedJob();
    const controller = new AbortController();
    const reason = new Error("worker stopping");
    // The worker stops while the receiver is still thinking.
    onHang = () => controller.abort(reason);
    await expect(
      deliverWebhook(
        deps(),
        { url: `${base}/hang`, event: "job.completed", jobId: job.id },
        attempt(tenant.id, 1, controller.signal),
      ),
    ).rejects.toBe(reason);
    onHang = undefined;
    expect(await listWebhookDeliveries(t.db, job.id)).toEqual([
      expect.objectContaining({
        statusCode: null,
        delivered: false,
        error: "the receiver could not be reached: worker stopping",
      }),
    ]);
  });

  it("refuses, before connecting, a URL whose name now resolves to a forbidden address, and does not retry it", async () => {
    const { tenant, job } = await finishedJob();
    const port = new URL(base).port;
    // Public when it was enqueued; now the name points at the receiver's loopback address.
    const outbound = createOutboundGuard({ resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    const before = received.length;
    let sends = 0;
    const counting: WebhookTransport = async (...args) => {
      sends++;
      return send(...args);
    };
    const url = `http://rebound.example:${port}/status/204`;
    const error = await deliverWebhook(
      { db: t.db, send: counting, outbound },
      { url, event: "job.completed", jobId: job.id },
      attempt(tenant.id),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "unsafe_url",
      details: { reason: "forbidden_address", range: "loopback" },
    });
    expect(error).toHaveProperty("retriable", false);
    expect([sends, received.length - before]).toEqual([0, 0]);
    expect(await listWebhookDeliveries(t.db, job.id)).toEqual([
      expect.objectContaining({
        url,
        statusCode: null,
        delivered: false,
        error: expect.stringMatching(/refused: rebound\.example resolves to a loopback address/),
      }),
    ]);
  });

  it("hands the transport the address it judged, so the connection goes where the check looked", async () => {
    const { tenant, job } = await finishedJob();
    const outbound = createOutboundGuard({
      allowPrivate: true,
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
    });
    const seen: unknown[] = [];
    const capturing: WebhookTransport = async (_request, _signal, address) => {
      seen.push(address);
      return 204;
    };
    await deliverWebhook(
      { db: t.db, send: capturing, outbound },
      { url: "https://hooks.customer.example/sluice", event: "job.completed", jobId: job.id },
      attempt(tenant.id),
    );
    expect(seen).toEqual([{ address: "127.0.0.1", family: 4 }]);
  });

  it("refuses, without retrying or sending, an event whose job no longer exists", async () => {
    const tenant = await insertTenant(t.db, { name: "hooks-gone" });
    const before = received.length;
    const error = await deliverWebhook(
      deps(),
      { url: `${base}/status/200`, event: "job.completed", jobId: newJobId() },
      attempt(tenant.id),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "not_found" });
    expect(error).toHaveProperty("retriable", false);
    expect(received.length).toBe(before);
  });
});
