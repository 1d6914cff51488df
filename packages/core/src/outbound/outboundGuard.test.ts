import { describe, expect, it } from "vitest";
import { isSluiceError } from "../errors/sluiceError.ts";
import { createOutboundGuard, type HostResolver, type ResolvedAddress } from "./outboundGuard.ts";

/** A resolver seam: each name answers what the table says; others do not exist. */
function resolverOf(table: Record<string, string[]>): HostResolver {
  return async (hostname) => {
    const addresses = table[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address): ResolvedAddress => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

const resolve = resolverOf({
  "hooks.customer.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "metadata.google.internal": ["169.254.169.254"],
  "db.internal.example": ["10.0.0.5"],
  "mixed.example": ["93.184.215.14", "127.0.0.1"],
  "v6-loop.example": ["::1"],
  "mapped.example": ["::ffff:192.168.7.10"],
  "ula.example": ["fd12::1"],
  "localhost.example": ["127.0.0.1"],
});
const strict = createOutboundGuard({ resolve });
const dev = createOutboundGuard({ resolve, allowPrivate: true });

describe("outbound guard", () => {
  it.each([
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://017700000001/", "loopback"],
    ["http://127.1:5432/", "loopback"],
    ["http://0251.0376.0251.0376/latest/meta-data", "metadata"],
    ["http://169.254.169.254./latest/meta-data", "metadata"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[::ffff:a9fe:a9fe]/", "metadata"],
    ["http://[0:0:0:0:0:ffff:7f00:1]/", "loopback"],
    ["http://[::127.0.0.1]/", "reserved"],
    ["http://[fd00:ec2::254]/latest/meta-data", "metadata"],
    ["http://0/", "unspecified"],
    ["https://[::]/", "unspecified"],
  ])("refuses the literal spelling %s (%s)", async (url, kind) => {
    const verdict = await strict.judge(url);
    expect(verdict).toMatchObject({ kind: "refused", reason: "forbidden_address", range: { kind } });
  });

  it.each([
    ["metadata.google.internal", "metadata"],
    ["db.internal.example", "private"],
    ["mixed.example", "loopback"],
    ["v6-loop.example", "loopback"],
    ["mapped.example", "private"],
    ["ula.example", "uniqueLocal"],
  ])("refuses %s, which resolves into a forbidden range (%s)", async (host, kind) => {
    const verdict = await strict.judge(`https://${host}/hook`);
    expect(verdict).toMatchObject({ kind: "refused", range: { kind } });
    // The refusal names the range, not the address: a tenant learns nothing of internal DNS.
    expect((verdict as { message: string }).message).not.toMatch(/10\.0\.0\.5|192\.168\.7\.10/);
  });

  it.each([
    "ftp://hooks.customer.example/",
    "file:///etc/passwd",
    "gopher://hooks.customer.example/",
    "ws://x/",
  ])("refuses the scheme of %s", async (url) => {
    expect(await strict.judge(url)).toMatchObject({ kind: "refused", reason: "scheme" });
  });

  it("accepts a public name with every address it resolves to", async () => {
    expect(await strict.judge("https://hooks.customer.example/sluice")).toMatchObject({
      kind: "allowed",
      hostname: "hooks.customer.example",
      addresses: [
        { address: "93.184.215.14", family: 4 },
        { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
      ],
    });
    const target = await strict.target("https://hooks.customer.example/sluice");
    expect(target.address).toEqual({ address: "93.184.215.14", family: 4 });
  });

  it("throws unsafe_url, not retriable, naming the field at enqueue and the range", async () => {
    const error = await strict
      .assertAllowed("http://169.254.169.254/latest", "webhookUrl")
      .catch((e: unknown) => e);
    expect(isSluiceError(error, "unsafe_url")).toBe(true);
    expect(error).toMatchObject({
      message: expect.stringMatching(
        /^webhookUrl: http:\/\/169\.254\.169\.254\/latest refused: .*cloud metadata/,
      ),
      details: {
        field: "webhookUrl",
        reason: "forbidden_address",
        range: "metadata",
        cidr: "169.254.169.254/32",
      },
    });
    expect(error).toHaveProperty("retriable", false);
  });

  it("lets an unresolvable name through at enqueue but not at delivery (retriable there)", async () => {
    await expect(strict.assertAllowed("https://not-yet.example/hook", "webhookUrl")).resolves.toBeUndefined();
    const error = await strict.target("https://not-yet.example/hook").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "service_unavailable", message: expect.stringMatching(/ENOTFOUND/) });
    expect(error).toHaveProperty("retriable", true);
  });

  it("gives up on a resolver that does not answer in time", async () => {
    const hanging = createOutboundGuard({ resolve: () => new Promise(() => {}), resolveTimeoutMs: 20 });
    expect(await hanging.judge("https://slow.example/")).toMatchObject({
      kind: "unresolved",
      message: expect.stringMatching(/took over 20 ms/),
    });
  });

  it("allows the host's own networks when private targets are allowed, never metadata or non-unicast", async () => {
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "http://localhost.example/hook",
      "http://db.internal.example/hook",
      "http://[::1]/",
      "http://ula.example/",
      "http://100.64.0.1/",
      "http://169.254.1.1/",
    ])
      expect(await dev.judge(url), url).toMatchObject({ kind: "allowed" });
    for (const url of [
      "http://169.254.169.254/",
      "http://metadata.google.internal/",
      "http://[fd00:ec2::254]/",
      "http://100.100.100.200/",
      "http://0.0.0.0/",
      "http://224.0.0.1/",
      "http://255.255.255.255/",
    ])
      expect(await dev.judge(url), url).toMatchObject({ kind: "refused" });
  });
});
