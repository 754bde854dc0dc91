import dns from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { classifyAddress } from "./ip.js";
import { OUTBOUND_POLICIES, type OutboundPolicy } from "./policy.js";

/** Why a CRL download did not happen or did not finish. */
export class CrlFetchError extends Error {
  override readonly name = "CrlFetchError";
}

export interface CrlFetchOptions {
  /** Tests only (config refuses it in production): CRLs served on this machine's loopback. */
  allowLoopback: boolean;
  lookup?: LookupFunction;
}

/**
 * The `crl` and `ocsp` purposes of the outbound policy (ADR 0024, 0035): http(s) only, public addresses
 * only (judged on the address connected to, after DNS), no redirects, a whole-request timeout
 * and a byte cap. The answer is read into one buffer sized from Content-Length when given,
 * so a 30 MB list is held once, not once per chunk plus once joined.
 */
export function crlFetcher(opts: CrlFetchOptions) {
  const policy = OUTBOUND_POLICIES.crl;
  const lookup: LookupFunction = opts.lookup ?? (dns.lookup as LookupFunction);
  const allowed = (address: string) => {
    const kind = classifyAddress(address);
    return kind === "public" || (opts.allowLoopback && kind === "loopback");
  };
  const dispatcher = new Agent({
    connect: {
      timeout: policy.timeoutMs,
      lookup: (hostname, options, callback) =>
        lookup(hostname, { ...options, all: true }, (err, found) => {
          const list = (found ?? []) as unknown as dns.LookupAddress[];
          if (err) return callback(err, "", 0);
          if (list.length === 0 || !list.every((a) => allowed(a.address))) {
            return callback(new CrlFetchError(`${hostname} resolves to an address the policy refuses`), "", 0);
          }
          if ((options as dns.LookupOptions).all) return (callback as any)(null, list);
          callback(null, list[0]!.address, list[0]!.family);
        }),
    },
    headersTimeout: policy.timeoutMs,
    bodyTimeout: policy.timeoutMs,
  });

  /** One request under `policy`: the URL checked, the answer's body read up to its cap. */
  async function send(href: string, policy: OutboundPolicy, init: { body?: Buffer; type?: string } = {}) {
    const url = new URL(href);
    if (!(policy.schemes as readonly string[]).includes(url.protocol) || url.username || url.password) {
      throw new CrlFetchError(`${url.origin}: only plain http(s) URLs are fetched`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0 && !allowed(host)) throw new CrlFetchError(`${host}: an address the policy refuses`);
    const res = await request(url, {
      method: init.body ? "POST" : "GET",
      body: init.body,
      headers: init.type ? { "content-type": init.type } : {},
      dispatcher,
      signal: AbortSignal.timeout(policy.timeoutMs),
    });
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new CrlFetchError(`${url.origin} answered ${res.statusCode}`);
    }
    return readCapped(res.body, Number(res.headers["content-length"] ?? NaN), policy.maxResponseBytes);
  }

  return {
    /** certificates.crl-refresh: GET a CRL (the crl policy). */
    fetchCrl: (href: string) => send(href, policy),
    /** Sign-in: POST an OCSP request (the ocsp policy: 3 s, 64 KB). */
    askOcsp: (href: string, body: Buffer) =>
      send(href, OUTBOUND_POLICIES.ocsp, { body, type: "application/ocsp-request" }),
    close: () => dispatcher.close(),
  };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, declared: number, cap: number) {
  if (declared > cap) {
    body.destroy();
    throw new CrlFetchError(`the list is ${declared} bytes, over the ${cap} byte cap`);
  }
  const known = Number.isSafeInteger(declared) && declared >= 0;
  let out = Buffer.allocUnsafe(known ? declared : 1 << 20);
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > cap) {
      body.destroy();
      throw new CrlFetchError(`the list is over the ${cap} byte cap`);
    }
    if (size + chunk.length > out.length) {
      // No (or a wrong) Content-Length: grow by doubling, as few copies as a list needs.
      const grown = Buffer.allocUnsafe(Math.min(cap, Math.max(out.length * 2, size + chunk.length)));
      out.copy(grown, 0, 0, size);
      out = grown;
    }
    chunk.copy(out, size);
    size += chunk.length;
  }
  return out.subarray(0, size);
}

export type CrlFetcher = ReturnType<typeof crlFetcher>;
