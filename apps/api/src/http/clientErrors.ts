import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { errorBody, publicError } from "../errors/publicError.ts";

/** The status Node itself would answer a request its HTTP parser refused with. */
function statusOf(code: string | undefined): 400 | 408 | 431 {
  if (code === "HPE_HEADER_OVERFLOW") return 431;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

/**
 * Answers a request Node's HTTP parser refused (URL or headers too large, not HTTP) in the public
 * error envelope, as Node would otherwise with an empty body; the connection is closed after it.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const sent = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!socket.writable || sent || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const status = statusOf(error.code);
  const message =
    status === 431 ? "the request's URL or headers are too large" : "the request is not valid HTTP";
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(publicError("validation_error", message, { status }), requestId));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}
