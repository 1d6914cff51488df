import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress, WebhookTransport } from "@sluice/core";

/** A lookup that answers every name with the one address core judged, so DNS is not asked again. */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    // Node asks for every address (`all`) when it may race IPv4 against IPv6.
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}

/**
 * Posts signed webhooks to the address core judged (pinned: a receiver's DNS cannot move the
 * connection to another address between the check and the connect), over a fresh connection;
 * redirects are not followed (node:http never does) and a receiver gets `timeoutMs` to answer.
 * The body of the answer is not read. TLS still checks the certificate against the URL's host name.
 */
export function pinnedWebhookTransport(timeoutMs = 10_000): WebhookTransport {
  return (request, signal, address) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(request.url);
      const options: RequestOptions = {
        method: "POST",
        headers: { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
        // No pooled sockets: a kept-alive connection to an address judged earlier is not reused.
        agent: false,
        lookup: pinnedLookup(address),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      };
      const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, options, (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      });
      // An abort says why: the worker stopping, the job cancelled, or the receiver's time running out.
      req.on("error", (error) => reject(error.name === "AbortError" && error.cause ? error.cause : error));
      req.end(request.body);
    });
}
