import type { IncomingHttpHeaders } from "node:http";

/** The bearer token of a request, if it sent one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (!auth) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
  return match?.[1]?.trim() || undefined;
}

/** The API key of a request in Anthropic's style: a bearer token, else the `x-api-key` header. */
export function anthropicApiKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers["x-api-key"];
  return bearerToken(headers) ?? ((typeof header === "string" && header.trim()) || undefined);
}
