import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { SluiceError } from "../errors/sluiceError.ts";
import { type AddressRange, classifyAddress } from "./addressRanges.ts";

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has; tests swap it to make a name resolve anywhere. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (`getaddrinfo`, as connections use it): every address, in its order. */
export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: "verbatim" })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** How outbound requests (webhooks, alerts) are judged. */
export interface OutboundPolicy {
  /** Let loopback, private, link-local and unique-local targets through (local development only). */
  allowPrivate?: boolean | undefined;
  resolve?: HostResolver | undefined;
  /** Longest a name may take to resolve. */
  resolveTimeoutMs?: number | undefined;
}

/** Why a URL is refused. */
export type RefusalReason = "invalid_url" | "scheme" | "forbidden_address";

/** The judgement of one URL. */
export type OutboundVerdict =
  | { kind: "allowed"; url: URL; hostname: string; addresses: ResolvedAddress[] }
  | { kind: "refused"; reason: RefusalReason; message: string; range?: AddressRange | undefined }
  | { kind: "unresolved"; message: string };

/** Judges outbound URLs: http(s) only, and every address the host resolves to public. */
export interface OutboundGuard {
  readonly allowPrivate: boolean;
  judge(url: string): Promise<OutboundVerdict>;
  /**
   * At enqueue: throws `unsafe_url` for a refused URL. A name that does not resolve now passes,
   * since delivery judges it again before connecting.
   */
  assertAllowed(url: string, field: string): Promise<void>;
  /**
   * At delivery: the address to connect to (pinned, so a second lookup cannot move the request
   * elsewhere). Throws `unsafe_url` (not retriable) for a refused URL, `service_unavailable` when
   * the name does not resolve.
   */
  target(url: string): Promise<{ url: URL; address: ResolvedAddress }>;
}

function describe(range: AddressRange): string {
  const what: Record<AddressRange["kind"], string> = {
    metadata: "a cloud metadata address",
    loopback: "a loopback address",
    private: "a private address",
    linkLocal: "a link-local address",
    sharedAddressSpace: "a carrier-grade NAT address",
    uniqueLocal: "a unique-local (private) IPv6 address",
    multicast: "a multicast address",
    unspecified: "an unspecified address",
    broadcast: "the broadcast address",
    documentation: "a documentation address",
    benchmarking: "a benchmarking address",
    reserved: "a reserved address",
    translation: "an address translation prefix",
  };
  return `${what[range.kind]} (${range.cidr})`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Creates a guard for outbound URLs; strict (public addresses only) unless the policy allows private ones. */
export function createOutboundGuard(policy: OutboundPolicy = {}): OutboundGuard {
  const allowPrivate = policy.allowPrivate ?? false;
  const resolve = policy.resolve ?? systemResolver;
  const resolveTimeoutMs = policy.resolveTimeoutMs ?? 5_000;

  const refusedRange = (address: string): AddressRange | null => {
    const range = classifyAddress(address);
    if (!range || (allowPrivate && range.privateUse)) return null;
    return range;
  };

  async function judge(raw: string): Promise<OutboundVerdict> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { kind: "refused", reason: "invalid_url", message: "is not a valid URL" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { kind: "refused", reason: "scheme", message: `must be http(s), not ${url.protocol}` };
    // WHATWG URL has already turned 2130706433, 0x7f.1 and 017700000001 into 127.0.0.1.
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: ResolvedAddress[];
    const literal = isIP(hostname);
    if (literal !== 0) addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await withTimeout(resolve(hostname), resolveTimeoutMs, `resolving ${hostname}`);
      } catch (error) {
        return { kind: "unresolved", message: `${hostname} does not resolve: ${(error as Error).message}` };
      }
      if (addresses.length === 0) return { kind: "unresolved", message: `${hostname} has no addresses` };
    }
    // Every address must pass: a client may connect to any of them.
    for (const { address } of addresses) {
      const range = refusedRange(address);
      if (range) {
        const where = literal !== 0 ? "is" : `resolves to`;
        return {
          kind: "refused",
          reason: "forbidden_address",
          range,
          message: `${hostname} ${where} ${describe(range)}; webhooks may only reach public addresses`,
        };
      }
    }
    return { kind: "allowed", url, hostname, addresses };
  }

  const unsafe = (url: string, verdict: Extract<OutboundVerdict, { kind: "refused" }>, field?: string) =>
    new SluiceError("unsafe_url", `${field ? `${field}: ` : ""}${url} refused: ${verdict.message}`, {
      retriable: false,
      details: {
        ...(field ? { field } : {}),
        reason: verdict.reason,
        ...(verdict.range ? { range: verdict.range.kind, cidr: verdict.range.cidr } : {}),
      },
    });

  return {
    allowPrivate,
    judge,
    async assertAllowed(url, field) {
      const verdict = await judge(url);
      if (verdict.kind === "refused") throw unsafe(url, verdict, field);
    },
    async target(url) {
      const verdict = await judge(url);
      if (verdict.kind === "refused") throw unsafe(url, verdict);
      if (verdict.kind === "unresolved")
        throw new SluiceError("service_unavailable", `the receiver could not be reached: ${verdict.message}`);
      return { url: verdict.url, address: verdict.addresses[0]! };
    },
  };
}
