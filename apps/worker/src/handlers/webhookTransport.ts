import type { WebhookTransport } from "@sluice/core";

/**
 * Posts signed webhooks with `fetch`: redirects are not followed (a receiver cannot bounce a signed
 * event elsewhere) and a receiver gets `timeoutMs` to answer; the body of the answer is not read.
 */
export function fetchWebhookTransport(timeoutMs = 10_000): WebhookTransport {
  return async (request, signal) => {
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    await response.body?.cancel().catch(() => {});
    return response.status;
  };
}
