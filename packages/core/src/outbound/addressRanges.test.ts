import { describe, expect, it } from "vitest";
import {
  type AddressRange,
  classifyAddress,
  ipv4Ranges,
  ipv6NotGlobal,
  ipv6Ranges,
  metadataRanges,
} from "./addressRanges.ts";

/** Addresses inside each listed range, first and last where the range has more than one: every range has a row. */
const inside: Record<string, string[]> = {
  "169.254.169.254/32": ["169.254.169.254", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe"],
  "169.254.170.2/32": ["169.254.170.2"],
  "100.100.100.200/32": ["100.100.100.200"],
  "192.0.0.192/32": ["192.0.0.192"],
  "fd00:ec2::254/128": ["fd00:ec2::254", "fd00:ec2:0:0:0:0:0:254"],
  "fd20:ce::254/128": ["fd20:ce::254"],
  "255.255.255.255/32": ["255.255.255.255"],
  "0.0.0.0/8": ["0.0.0.0", "0.255.255.255"],
  "10.0.0.0/8": ["10.0.0.0", "10.255.255.255", "::ffff:10.1.2.3"],
  "100.64.0.0/10": ["100.64.0.0", "100.127.255.255"],
  "127.0.0.0/8": ["127.0.0.1", "127.255.255.254", "::ffff:127.0.0.1", "::ffff:7f00:1"],
  "169.254.0.0/16": ["169.254.0.1", "169.254.255.255"],
  "172.16.0.0/12": ["172.16.0.0", "172.31.255.255"],
  "192.0.0.0/24": ["192.0.0.1", "192.0.0.255"],
  "192.0.2.0/24": ["192.0.2.1"],
  "192.88.99.0/24": ["192.88.99.1"],
  "192.168.0.0/16": ["192.168.0.1", "192.168.255.255", "::ffff:192.168.1.1"],
  "198.18.0.0/15": ["198.18.0.1", "198.19.255.255"],
  "198.51.100.0/24": ["198.51.100.7"],
  "203.0.113.0/24": ["203.0.113.9"],
  "224.0.0.0/4": ["224.0.0.1", "239.255.255.255"],
  "240.0.0.0/4": ["240.0.0.1", "255.255.255.254"],
  "::/128": ["::"],
  "::1/128": ["::1", "0:0:0:0:0:0:0:1"],
  "::/96": ["::127.0.0.1", "::7f00:1", "::a9fe:a9fe"],
  "64:ff9b::/96": ["64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe"],
  "64:ff9b:1::/48": ["64:ff9b:1::1"],
  "100::/64": ["100::1"],
  "2001::/32": ["2001::1", "2001:0:ffff::1"],
  "2001:2::/48": ["2001:2::1"],
  "2001:db8::/32": ["2001:db8::1", "2001:db8:ffff::1"],
  "2002::/16": ["2002:7f00:1::1", "2002:a9fe:a9fe::1"],
  "3fff::/20": ["3fff::1"],
  "fc00::/7": ["fc00::1", "fd12:3456::1", "fdff:ffff::1"],
  "fec0::/10": ["fec0::1"],
  "fe80::/10": ["fe80::1", "febf:ffff::1"],
  "ff00::/8": ["ff02::1", "ff0e::1"],
  [ipv6NotGlobal.cidr]: ["4000::1", "1000::1", "e000::1"],
};

const listed: AddressRange[] = [...metadataRanges, ...ipv4Ranges, ...ipv6Ranges, ipv6NotGlobal];

/** Public addresses, several just outside a forbidden range. */
const publicAddresses = [
  "8.8.8.8",
  "1.1.1.1",
  "93.184.215.14",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.0.1.0",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.255",
  "::ffff:8.8.8.8",
  "2606:4700:4700::1111",
  "2a00:1450:4001:81b::200e",
  "2001:4860:4860::8888",
  "3ffe:ffff::1",
];

describe("address ranges", () => {
  it("has sample addresses for every listed range", () => {
    expect(listed.map((r) => r.cidr).sort()).toEqual(Object.keys(inside).sort());
  });

  it.each(listed.flatMap((range) => (inside[range.cidr] ?? []).map((address) => [address, range] as const)))(
    "refuses %s as its range says",
    (address, range) => {
      expect(classifyAddress(address)).toEqual(range);
    },
  );

  it.each(publicAddresses)("lets the public address %s through", (address) => {
    expect(classifyAddress(address)).toBeNull();
  });

  it("lets through only the host's own networks in development, never metadata", () => {
    const privateUse = listed.filter((r) => r.privateUse).map((r) => r.kind);
    expect(new Set(privateUse)).toEqual(
      new Set(["loopback", "private", "linkLocal", "sharedAddressSpace", "uniqueLocal"]),
    );
    expect(metadataRanges.every((r) => !r.privateUse)).toBe(true);
  });

  it("throws on text that is not an IP address", () => {
    expect(() => classifyAddress("localhost")).toThrow(/not an IP address/);
  });
});
