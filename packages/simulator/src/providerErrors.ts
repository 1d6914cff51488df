import type { ServerResponse } from "node:http";

/** Which provider's error format to answer in. */
export type Wire = "openai" | "anthropic";

const ANTHROPIC_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "api_error",
  529: "overloaded_error",
};

const OPENAI_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "invalid_request_error",
  404: "invalid_request_error",
  429: "rate_limit_exceeded",
  500: "server_error",
  503: "server_error",
};

/** Sends an error in the provider's own body format. */
export function sendError(
  res: ServerResponse,
  wire: Wire,
  status: number,
  message: string,
  extra: { code?: string; param?: string; headers?: Record<string, string> } = {},
): void {
  const body =
    wire === "anthropic"
      ? { type: "error", error: { type: ANTHROPIC_TYPES[status] ?? "api_error", message } }
      : {
          error: {
            message,
            type: OPENAI_TYPES[status] ?? "server_error",
            param: extra.param ?? null,
            code: extra.code ?? null,
          },
        };
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...extra.headers,
  });
  res.end(payload);
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}
