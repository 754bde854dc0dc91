import http from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { classifyAddress, isPublicAddress } from "../../bff/outbound/ip.js";
import { DEFAULT_PUSH_SERVICE_HOSTS, hostMatches, OUTBOUND_POLICIES } from "../../bff/outbound/policy.js";
import { OutboundRefused, pushOutbound } from "../../bff/outbound/push.js";

/** DNS as a table: tests never ask a real resolver. */
const fakeDns =
  (table: Record<string, string[]>): LookupFunction =>
  (hostname, _options, callback) => {
    const addrs = table[hostname];
    if (!addrs) return callback(Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" }), "", 0);
    (callback as any)(
      null,
      addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
  };

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));

describe("IP address classifier (issue 14 item 2)", () => {
  it("refuses every address the SSRF probe used, and their disguises", () => {
    for (const a of [
      "127.0.0.1",
      "127.1.2.3",
      "10.0.0.1",
      "169.254.169.254",
      "192.168.1.1",
      "172.16.0.1",
      "172.31.255.255",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:169.254.169.254",
      "64:ff9b::a9fe:a9fe",
      "fe80::1",
      "fe80::1%eth0",
      "fc00::1",
      "fd12:3456::1",
      "ff02::1",
      "2001:db8::1",
      "[::1]",
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    expect(classifyAddress("169.254.169.254")).toBe("link-local");
    expect(classifyAddress("::ffff:10.0.0.1")).toBe("private");
    expect(classifyAddress("not an address")).toBe("invalid");
  });

  it("allows public addresses of push services", () => {
    for (const a of ["142.250.196.106", "8.8.8.8", "2404:6800:4012::200a", "172.32.0.1", "100.128.0.1"]) {
      expect(isPublicAddress(a), a).toBe(true);
    }
  });

  it("judges an IPv4-mapped or NAT64 address as the IPv4 address inside (property)", () => {
    fc.assert(
      fc.property(v4, (a) => {
        const kind = classifyAddress(a);
        expect(classifyAddress(`::ffff:${a}`)).toBe(kind);
        expect(classifyAddress(`64:ff9b::${a}`)).toBe(kind);
      }),
      { numRuns: 500 },
    );
  });

  it("never calls an address in 10/8, 127/8, 169.254/16, 192.168/16, 172.16/12 or 100.64/10 public (property)", () => {
    const inBlock = (base: number, prefix: number) =>
      fc.nat(2 ** (32 - prefix) - 1).map((off) => {
        const n = (base + off) >>> 0;
        return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
      });
    const blocks: [number, number][] = [
      [0x0a000000, 8],
      [0x7f000000, 8],
      [0xa9fe0000, 16],
      [0xc0a80000, 16],
      [0xac100000, 12],
      [0x64400000, 10],
    ];
    fc.assert(
      fc.property(fc.oneof(...blocks.map(([b, p]) => inBlock(b, p))), (a) => {
        expect(isPublicAddress(a)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("reads an IPv6 address the same however it is written (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16).padStart(4, "0")).join(":");
        const compressed = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        expect(classifyAddress(compressed)).toBe(classifyAddress(full));
      }),
      { numRuns: 500 },
    );
  });
});

describe("push outbound policy", () => {
  const policy = pushOutbound({
    hosts: DEFAULT_PUSH_SERVICE_HOSTS,
    allowLoopback: false,
    lookup: fakeDns({
      "fcm.googleapis.com": ["142.250.196.106"],
      "updates.push.services.mozilla.com": ["34.117.237.239"],
      "web.push.apple.com": ["17.188.128.1", "2620:149:a44::1"],
      "wns2-par02p.notify.windows.com": ["20.42.65.85"],
    }),
  });

  it("accepts the known push services", async () => {
    for (const ok of [
      "https://fcm.googleapis.com/fcm/send/abc",
      "https://updates.push.services.mozilla.com/wpush/v2/x",
      "https://web.push.apple.com/QGx",
      "https://wns2-par02p.notify.windows.com/w/?token=x",
    ]) {
      expect(await policy.check(ok), ok).toBeNull();
    }
  });

  it("refuses internal addresses, other hosts and plain http, each with its reason", async () => {
    const cases: [string, string][] = [
      ["http://127.0.0.1:8080/x", "scheme"],
      ["https://10.0.0.1/x", "address"],
      ["http://169.254.169.254/latest/meta-data", "scheme"],
      ["https://169.254.169.254/latest/meta-data", "address"],
      ["https://[::1]/", "address"],
      ["https://[::ffff:127.0.0.1]/", "address"],
      ["https://8.8.8.8/x", "host"],
      ["https://localhost/x", "host"],
      ["http://fcm.googleapis.com/x", "scheme"],
      ["https://fcm.googleapis.com.attacker.example/x", "host"],
      ["https://push.apple.com/x", "host"],
      ["https://user:pw@fcm.googleapis.com/x", "invalid"],
      ["file:///etc/passwd", "scheme"],
      ["not a url", "invalid"],
    ];
    for (const [url, reason] of cases) expect(await policy.check(url), url).toBe(reason);
  });

  it("refuses a push-service name that resolves inside, or does not resolve", async () => {
    const p = pushOutbound({
      hosts: ["*.push.apple.com", "fcm.googleapis.com"],
      allowLoopback: false,
      lookup: fakeDns({ "web.push.apple.com": ["17.188.128.1", "10.1.1.1"] }),
    });
    expect(await p.check("https://web.push.apple.com/x")).toBe("address");
    expect(await p.check("https://fcm.googleapis.com/x")).toBe("dns");
    await p.close();
  });

  it("matches `*.` entries on subdomains only", () => {
    expect(hostMatches("web.push.apple.com", ["*.push.apple.com"])).toBe(true);
    expect(hostMatches("WEB.PUSH.APPLE.COM.", ["*.push.apple.com"])).toBe(true);
    expect(hostMatches("push.apple.com", ["*.push.apple.com"])).toBe(false);
    expect(hostMatches("evilpush.apple.com", ["*.push.apple.com"])).toBe(false);
  });

  it("the loopback loophole is refused by production configuration", () => {
    expect(() =>
      loadConfig({ NODE_ENV: "production", PUSH_ALLOW_LOOPBACK_FOR_TESTS: "1", SMTP_URL: "smtp://127.0.0.1:25" }),
    ).toThrow(/PUSH_ALLOW_LOOPBACK_FOR_TESTS/);
    expect(loadConfig({ NODE_ENV: "test", PUSH_ALLOW_LOOPBACK_FOR_TESTS: "1" }).pushAllowLoopback).toBe(true);
    expect(loadConfig({ NODE_ENV: "production" }).pushAllowLoopback).toBe(false);
    expect(loadConfig({ NODE_ENV: "test", PUSH_SERVICE_HOSTS: " a.example , *.b.example " }).pushServiceHosts).toEqual([
      "a.example",
      "*.b.example",
    ]);
  });
});

describe("push sends never follow a redirect", () => {
  async function listen(handler: http.RequestListener) {
    const server = http.createServer(handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it("answers the 3xx of an allowed host as its status; the target receives nothing", async () => {
    let targetHits = 0;
    const target = await listen((_req, res) => {
      targetHits += 1;
      res.writeHead(201).end();
    });
    let pushHits = 0;
    const push = await listen((req, res) => {
      pushHits += 1;
      req.resume();
      res.writeHead(307, { Location: `${target.url}/stolen` }).end();
    });
    // The test loophole makes the loopback "push service" allowed; the redirect still is not followed.
    const policy = pushOutbound({ hosts: [], allowLoopback: true });
    try {
      const answer = await policy.post(`${push.url}/push/x`, { headers: {}, body: new Uint8Array([1, 2, 3]) });
      expect(answer).toEqual({ status: 307 });
      expect(pushHits).toBe(1);
      expect(targetHits).toBe(0);
      // Without the loophole the same endpoint is refused before any request.
      const strict = pushOutbound({ hosts: DEFAULT_PUSH_SERVICE_HOSTS, allowLoopback: false });
      await expect(strict.post(`${push.url}/push/x`, { headers: {} })).rejects.toBeInstanceOf(OutboundRefused);
      await strict.close();
      expect(pushHits).toBe(1);
    } finally {
      await policy.close();
      target.server.close();
      push.server.close();
    }
  });
});

describe("certificate revocation settings (ADR 0035)", () => {
  it("loopback only for tests, CRL URLs only http(s), a short OCSP timeout", () => {
    expect(() =>
      loadConfig({
        NODE_ENV: "production",
        CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS: "1",
        SMTP_URL: "smtp://127.0.0.1:25",
      }),
    ).toThrow(/CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS/);
    expect(() => loadConfig({ NODE_ENV: "test", CERT_CRL_URLS: "ldap://x500.example/cn=CA" })).toThrow(
      /CERT_CRL_URLS: "ldap:\/\/x500.example\/cn=CA" is not an http\(s\) URL/,
    );
    const config = loadConfig({
      NODE_ENV: "test",
      CERT_CRL_URLS: " http://moica.example/a.crl ,https://b.example/b.crl",
    });
    expect(config.crlUrls).toEqual(["http://moica.example/a.crl", "https://b.example/b.crl"]);
    expect(config.CERT_CRL_MISSING).toBe("refuse");
    expect(OUTBOUND_POLICIES.ocsp.timeoutMs).toBeLessThanOrEqual(5_000);
  });
});
