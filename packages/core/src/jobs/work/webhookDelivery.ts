import { type Db, insertWebhookDelivery } from "@sluice/db";
import { isSluiceError, SluiceError } from "../../errors/sluiceError.ts";
import {
  createOutboundGuard,
  type OutboundGuard,
  type ResolvedAddress,
} from "../../outbound/outboundGuard.ts";
import { buildWebhook, type SignedWebhook } from "./webhookBody.ts";

/**
 * Posts a signed request to `address` (the address that was judged, pinned so the host name is not
 * looked up again) and resolves with the receiver's HTTP status without following redirects; throws
 * when the receiver cannot be reached (refused, reset, timed out). The worker supplies it: transport only.
 */
export type WebhookTransport = (
  request: SignedWebhook,
  signal: AbortSignal,
  address: ResolvedAddress,
) => Promise<number>;

const strictGuard = createOutboundGuard();

function answerError(statusCode: number): string {
  if (statusCode >= 300 && statusCode < 400)
    return `the receiver answered HTTP ${statusCode}, a redirect (not followed: webhooks go only where they were judged safe)`;
  return `the receiver answered HTTP ${statusCode}`;
}

/** The `webhook.deliver` job being run. */
export interface WebhookDeliveryAttempt {
  /** The delivery job's id (sent as `sluice-delivery`). */
  id: string;
  tenantId: string | null;
  /** 1 for the first attempt (sent as `sluice-attempt`). */
  attempt: number;
  signal: AbortSignal;
}

/** The payload of a `webhook.deliver` job. */
export interface WebhookDeliveryPayload {
  url: string;
  event: string;
  jobId?: string | undefined;
  batchId?: string | undefined;
  body?: Record<string, unknown> | undefined;
}

/**
 * `webhook.deliver`: builds and signs the event, judges its URL again (the name may resolve
 * elsewhere now), sends it through `send`, and records the attempt. Only a 2xx answer delivers it;
 * any other answer (a redirect included: it is not followed), or none, is a retriable
 * `service_unavailable` so the receiver gets the event again later. A URL that reaches no public
 * address is refused before any connection: `unsafe_url`, not retried.
 */
export async function deliverWebhook(
  deps: {
    db: Db;
    send: WebhookTransport;
    alertSecret?: string | undefined;
    outbound?: OutboundGuard | undefined;
  },
  payload: WebhookDeliveryPayload,
  delivery: WebhookDeliveryAttempt,
): Promise<{ statusCode: number }> {
  const request = await buildWebhook(deps.db, payload, {
    id: delivery.id,
    attempt: delivery.attempt,
    alertSecret: deps.alertSecret,
    tenantId: delivery.tenantId,
  });
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  let refusal: SluiceError | null = null;
  try {
    const target = await (deps.outbound ?? strictGuard).target(request.url);
    statusCode = await deps.send(request, delivery.signal, target.address);
    if (statusCode < 200 || statusCode >= 300) error = answerError(statusCode);
  } catch (e) {
    if (isSluiceError(e, "unsafe_url")) refusal = e;
    error = isSluiceError(e) ? e.message : `the receiver could not be reached: ${(e as Error).message}`;
  }
  await insertWebhookDelivery(deps.db, {
    jobId: payload.jobId ?? null,
    deliveryJobId: delivery.id,
    tenantId: delivery.tenantId,
    url: request.url,
    event: payload.event,
    attempt: delivery.attempt,
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
    delivered: error === null,
  });
  // Cancelled or stopping: the attempt is recorded but the job is given back, not failed.
  if (delivery.signal.aborted) throw delivery.signal.reason;
  if (refusal) throw refusal;
  if (error)
    throw new SluiceError("service_unavailable", error, { details: { url: request.url, statusCode } });
  return { statusCode: statusCode ?? 0 };
}
