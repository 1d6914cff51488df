import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateWebhookSecret, SIGNATURE_HEADER, signWebhook, verifyWebhook } from "@sluice/core";
import { setTenantWebhook } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessHarness } from "./processHarness.ts";

const t = useTestDatabase();
let h: Awaited<ReturnType<typeof startProcessHarness>>;
let receiver: Server;
let base: string;
const received: { path: string; headers: IncomingHttpHeaders; body: string; at: number }[] = [];
const ALERT_SECRET = "alert-secret-for-tests";

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body, at: Date.now() });
      res.statusCode = req.url?.startsWith("/broken") ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startProcessHarness(t, {
    jobs: {
      "webhook.deliver": { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: true, retryDelayMaxSeconds: 3 },
    },
    env: {
      SLUICE_DEAD_LETTER_ALERT_THRESHOLD: "1",
      SLUICE_ALERT_WEBHOOK_URL: `${base}/alerts`,
      SLUICE_ALERT_WEBHOOK_SECRET: ALERT_SECRET,
      SLUICE_WORKER_METRICS_PORT: "0",
      // The receiver listens on 127.0.0.1.
      SLUICE_ALLOW_PRIVATE_WEBHOOKS: "true",
    },
  });
});
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const quickChat = {
  request: { model: "sim-small", messages: [{ role: "user", content: "hi" }], max_tokens: 5 },
};

describe("webhooks", () => {
  it("posts a job's final event signed with the tenant's secret, verifiable with the documented recipe", async () => {
    const secret = generateWebhookSecret();
    await setTenantWebhook(t.db, h.tenant.id, { url: `${base}/hooks`, secret });
    const worker = await h.worker();
    const job = await h.enqueue("chat.complete", quickChat);
    await h.until(job.id, ["completed"]);
    await expect.poll(() => received.filter((r) => r.path === "/hooks").length, { timeout: 10_000 }).toBe(1);
    const hook = received.find((r) => r.path === "/hooks")!;
    const signature = hook.headers[SIGNATURE_HEADER] as string;
    expect(verifyWebhook(secret, signature, hook.body)).toBeNull();
    expect(JSON.parse(hook.body)).toMatchObject({
      event: "job.completed",
      job: { id: job.id, status: "completed" },
    });
    expect(hook.headers["sluice-event"]).toBe("job.completed");
    // A tampered body, another secret, or an old signature (a replay) are refused.
    expect(verifyWebhook(secret, signature, hook.body.replace("completed", "cancelled"))).toBe("mismatch");
    expect(verifyWebhook("whsec_other", signature, hook.body)).toBe("mismatch");
    const old = signWebhook(secret, hook.body, Math.floor(Date.now() / 1000) - 3600);
    expect(verifyWebhook(secret, old, hook.body)).toBe("expired");
    expect(verifyWebhook(secret, "t=1,v1=zz", hook.body)).toBe("malformed");
    await setTenantWebhook(t.db, h.tenant.id, { url: null });
    await worker.stop();
  });

  it("retries a failing receiver with backoff, records every attempt, ends in dead letters and raises the alert", async () => {
    const worker = await h.worker();
    const job = await h.enqueue("chat.complete", quickChat, { webhookUrl: `${base}/broken` });
    await h.until(job.id, ["completed"]);
    await expect
      .poll(
        () =>
          t.db
            .selectFrom("jobs")
            .select("status")
            .where("kind", "=", "webhook.deliver")
            .where("status", "=", "dead")
            .execute(),
        { timeout: 30_000, interval: 200 },
      )
      .toHaveLength(1);
    const attempts = await t.db
      .selectFrom("webhookDeliveries")
      .selectAll()
      .where("jobId", "=", job.id)
      .orderBy("id")
      .execute();
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.delivered])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, false],
    ]);
    const hits = received.filter((r) => r.path === "/broken").map((r) => r.at);
    expect(hits).toHaveLength(3);
    expect(hits[1]! - hits[0]!).toBeGreaterThanOrEqual(900);
    // One dead letter passes the threshold of 1: the alert webhook hears of it, signed with its secret.
    await expect.poll(() => received.filter((r) => r.path === "/alerts").length, { timeout: 10_000 }).toBe(1);
    const alert = received.find((r) => r.path === "/alerts")!;
    expect(verifyWebhook(ALERT_SECRET, alert.headers[SIGNATURE_HEADER] as string, alert.body)).toBeNull();
    expect(JSON.parse(alert.body)).toMatchObject({
      event: "dead_letters.threshold",
      alert: { deadCount: 1, threshold: 1 },
    });
    const metricsUrl = /metrics on (http:\/\/\S+)/.exec(worker.output())?.[1];
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/sluice_dead_letter_alerts_total 1/);
    expect(metrics).toMatch(/sluice_dead_letters_total\{kind="webhook.deliver"\} 1/);
    await worker.stop();
  });
});
