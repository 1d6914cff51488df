import { type Db, findBatchById, findJob, findTenantById } from "@sluice/db";
import { publicBatch } from "../../batches/publicBatch.ts";
import { SluiceError } from "../../errors/sluiceError.ts";
import { publicJob } from "../publicJob.ts";
import { SIGNATURE_HEADER, signWebhook } from "../webhookSignature.ts";

/** A signed webhook request, ready to send. */
export interface SignedWebhook {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * Builds a `webhook.deliver` request: `{ event, job }` with the job as it is now (`{ event, batch }`
 * for a batch, or an alert's body), signed with the tenant's secret (the alert secret for system
 * alerts, which have no tenant).
 */
export async function buildWebhook(
  db: Db,
  payload: {
    url: string;
    event: string;
    jobId?: string | undefined;
    batchId?: string | undefined;
    body?: Record<string, unknown> | undefined;
  },
  delivery: {
    id: string;
    attempt: number;
    alertSecret?: string | undefined;
    /** The delivery job's tenant: a tenant's alert (a budget's) is signed with the tenant's secret. */
    tenantId?: string | null | undefined;
  },
): Promise<SignedWebhook> {
  let secret = delivery.alertSecret;
  let content: Record<string, unknown> = { event: payload.event, ...(payload.body ?? {}) };
  if (delivery.tenantId && !payload.jobId && !payload.batchId)
    secret = (await findTenantById(db, delivery.tenantId))?.webhookSecret ?? undefined;
  if (payload.jobId) {
    const job = await findJob(db, payload.jobId);
    if (!job)
      throw new SluiceError("not_found", `job ${payload.jobId} no longer exists`, { retriable: false });
    const tenant = job.tenantId ? await findTenantById(db, job.tenantId) : undefined;
    secret = tenant?.webhookSecret ?? undefined;
    content = { event: payload.event, job: publicJob(job) };
  }
  if (payload.batchId) {
    const batch = await findBatchById(db, payload.batchId);
    if (!batch)
      throw new SluiceError("not_found", `batch ${payload.batchId} no longer exists`, { retriable: false });
    secret = (await findTenantById(db, batch.tenantId))?.webhookSecret ?? undefined;
    content = { event: payload.event, batch: publicBatch(batch) };
  }
  if (!secret) {
    throw new SluiceError("validation_error", "no webhook signing secret is set for this endpoint", {
      retriable: false,
    });
  }
  const body = JSON.stringify({ ...content, deliveredAt: new Date().toISOString() });
  return {
    url: payload.url,
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "sluice-webhooks",
      [SIGNATURE_HEADER]: signWebhook(secret, body),
      "sluice-event": payload.event,
      "sluice-delivery": delivery.id,
      "sluice-attempt": String(delivery.attempt),
    },
  };
}
