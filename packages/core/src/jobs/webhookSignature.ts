import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = "sluice-signature";
/** Signatures older (or newer) than this are rejected as replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new webhook signing secret. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function digest(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** The signature header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${digest(secret, timestamp, body)}`;
}

/** Why a signature was refused. */
export type SignatureProblem = "malformed" | "mismatch" | "expired";

/**
 * Checks a signature header against the raw body, in constant time, refusing ones outside
 * `toleranceSeconds` of `now` (replays). Returns null when valid, else the problem.
 */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): SignatureProblem | null {
  const parts = new Map(
    (header ?? "").split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const timestamp = Number(parts.get("t"));
  const given = parts.get("v1") ?? "";
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(given)) return "malformed";
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return "expired";
  const expected = Buffer.from(digest(secret, timestamp, body), "hex");
  return timingSafeEqual(expected, Buffer.from(given, "hex")) ? null : "mismatch";
}
