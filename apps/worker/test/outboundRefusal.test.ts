import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateWebhookSecret } from "@sluice/core";
import { setTenantWebhook } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessHarness } from "./processHarness.ts";

// A `sluice worker` process with the default setting: webhooks and alerts reach public addresses only.
const t = useTestDatabase();
let h: Awaited<ReturnType<typeof startProcessHarness>>;
let receiver: Server;
let base: string;
const received: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push(req.url ?? "");
    req.resume();
    res.statusCode = 204;
    res.end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startProcessHarness(t, {
    env: {
      SLUICE_DEAD_LETTER_ALERT_THRESHOLD: "1",
      SLUICE_ALERT_WEBHOOK_URL: `${base}/alerts`,
      SLUICE_ALERT_WEBHOOK_SECRET: "alert-secret-for-tests",
    },
  });
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const quickChat = {
  request: { model: "sim-small", messages: [{ role: "user", content: "hi" }], max_tokens: 5 },
};

describe("a worker without SLUICE_ALLOW_PRIVATE_WEBHOOKS", () => {
  it("refuses a stored loopback webhook and the loopback alert URL: dead after one attempt, nothing sent", async () => {
    // Stored directly, as a URL saved before enqueue-time checks would be.
    await setTenantWebhook(t.db, h.tenant.id, { url: `${base}/hooks`, secret: generateWebhookSecret() });
    const worker = await h.worker();
    const job = await h.enqueue("chat.complete", quickChat);
    await h.until(job.id, ["completed"]);
    const deadDeliveries = () =>
      t.db
        .selectFrom("jobs")
        .select(["payload", "attempts", "errorCode", "errorMessage"])
        .where("kind", "=", "webhook.deliver")
        .where("status", "=", "dead")
        .execute();
    // The job's delivery dies, which passes the alert threshold; the alert's delivery dies the same way.
    await expect
      .poll(async () => (await deadDeliveries()).length, { timeout: 30_000, interval: 200 })
      .toBe(2);
    const dead = await deadDeliveries();
    expect(dead.map((d) => (d.payload as { url: string }).url).sort()).toEqual([
      `${base}/alerts`,
      `${base}/hooks`,
    ]);
    for (const d of dead) {
      expect(d).toMatchObject({ attempts: 1, errorCode: "unsafe_url" });
      expect(d.errorMessage).toMatch(/refused: 127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\)/);
    }
    const records = await t.db
      .selectFrom("webhookDeliveries")
      .select(["url", "statusCode", "delivered"])
      .execute();
    expect(records).toHaveLength(2);
    expect(records.every((r) => r.statusCode === null && !r.delivered)).toBe(true);
    expect(received).toEqual([]);
    // The alert URL comes from settings: the worker said at start that it would refuse it.
    expect(worker.output()).toMatch(
      /SLUICE_ALERT_WEBHOOK_URL will not be posted to: 127\.0\.0\.1 is a loopback address/,
    );
    await worker.stop();
  });
});
