import { BlockList, isIP } from "node:net";

/** Why an address is not a public destination. */
export type AddressRangeKind =
  | "metadata"
  | "loopback"
  | "private"
  | "linkLocal"
  | "sharedAddressSpace"
  | "uniqueLocal"
  | "multicast"
  | "unspecified"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"
  | "translation";

/** A range of addresses webhooks and alerts may not reach. */
export interface AddressRange {
  cidr: string;
  kind: AddressRangeKind;
  /** Reachable when private targets are allowed (local development): the host's own networks. */
  privateUse: boolean;
}

const range = (cidr: string, kind: AddressRangeKind, privateUse = false): AddressRange => ({
  cidr,
  kind,
  privateUse,
});

/**
 * Cloud instance metadata endpoints: refused even where private targets are allowed, since
 * reaching them hands out the host's credentials.
 */
export const metadataRanges: readonly AddressRange[] = [
  range("169.254.169.254/32", "metadata"), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  range("169.254.170.2/32", "metadata"), // AWS ECS task metadata
  range("100.100.100.200/32", "metadata"), // Alibaba Cloud
  range("192.0.0.192/32", "metadata"), // Oracle Cloud (classic)
  range("fd00:ec2::254/128", "metadata"), // AWS IPv6
  range("fd20:ce::254/128", "metadata"), // GCP IPv6
];

/** IPv4 ranges that are not public destinations (IANA special-purpose registry), most specific first. */
export const ipv4Ranges: readonly AddressRange[] = [
  range("255.255.255.255/32", "broadcast"),
  range("0.0.0.0/8", "unspecified"),
  range("10.0.0.0/8", "private", true),
  range("100.64.0.0/10", "sharedAddressSpace", true),
  range("127.0.0.0/8", "loopback", true),
  range("169.254.0.0/16", "linkLocal", true),
  range("172.16.0.0/12", "private", true),
  range("192.0.0.0/24", "reserved"),
  range("192.0.2.0/24", "documentation"),
  range("192.88.99.0/24", "reserved"),
  range("192.168.0.0/16", "private", true),
  range("198.18.0.0/15", "benchmarking"),
  range("198.51.100.0/24", "documentation"),
  range("203.0.113.0/24", "documentation"),
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved"),
];

/**
 * IPv6 ranges that are not public destinations. IPv4-mapped addresses (`::ffff:a.b.c.d`) are judged
 * by their IPv4 address; anything outside global unicast 2000::/3 is refused as well.
 */
export const ipv6Ranges: readonly AddressRange[] = [
  range("::/128", "unspecified"),
  range("::1/128", "loopback", true),
  range("::/96", "reserved"), // IPv4-compatible, deprecated: ::127.0.0.1
  range("64:ff9b::/96", "translation"), // NAT64 reaches any IPv4 address, private ones included
  range("64:ff9b:1::/48", "translation"),
  range("100::/64", "reserved"),
  range("2001::/32", "translation"), // Teredo
  range("2001:2::/48", "benchmarking"),
  range("2001:db8::/32", "documentation"),
  range("2002::/16", "translation"), // 6to4
  range("3fff::/20", "documentation"),
  range("fc00::/7", "uniqueLocal", true),
  range("fec0::/10", "linkLocal", true), // site-local, deprecated
  range("fe80::/10", "linkLocal", true),
  range("ff00::/8", "multicast"),
];

/** What lies outside IPv6 global unicast (2000::/3), when no listed range names it. */
export const ipv6NotGlobal: AddressRange = range("::/0 outside 2000::/3", "reserved");

interface CompiledRange {
  range: AddressRange;
  list: BlockList;
}

function compile(ranges: readonly AddressRange[]): CompiledRange[] {
  return ranges.map((r) => {
    const [network, bits] = r.cidr.split("/") as [string, string];
    const list = new BlockList();
    list.addSubnet(network, Number(bits), isIP(network) === 6 ? "ipv6" : "ipv4");
    return { range: r, list };
  });
}

const compiledMetadata = compile(metadataRanges);
const compiledV4 = compile(ipv4Ranges);
const compiledV6 = compile(ipv6Ranges);
const [mapped] = compile([range("::ffff:0:0/96", "reserved")]);
const [globalUnicast] = compile([range("2000::/3", "reserved")]);

function firstMatch(ranges: CompiledRange[], address: string, type: "ipv4" | "ipv6"): AddressRange | null {
  for (const r of ranges) if (r.list.check(address, type)) return r.range;
  return null;
}

/**
 * The forbidden range an IP address falls in, or null for a public address. IPv4-mapped IPv6
 * addresses are judged as the IPv4 address they carry. Throws on text that is not an IP address.
 */
export function classifyAddress(address: string): AddressRange | null {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  const type = family === 4 ? "ipv4" : "ipv6";
  const metadata = firstMatch(compiledMetadata, address, type);
  if (metadata) return metadata;
  if (family === 4) return firstMatch(compiledV4, address, "ipv4");
  // node:net's BlockList matches an IPv4-mapped IPv6 address against IPv4 rules.
  if (mapped!.list.check(address, "ipv6")) return firstMatch(compiledV4, address, "ipv6");
  const listed = firstMatch(compiledV6, address, "ipv6");
  if (listed) return listed;
  return globalUnicast!.list.check(address, "ipv6") ? null : ipv6NotGlobal;
}
