import dns from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { classifyAddress } from "./ip.js";
import { hostMatches, OUTBOUND_POLICIES } from "./policy.js";

/** Why an endpoint is refused; each has a zh-TW message for the person subscribing. */
export type PushRefusal = "invalid" | "scheme" | "host" | "address" | "dns";

export const PUSH_REFUSAL_MESSAGES: Record<PushRefusal, string> = {
  invalid: "這個裝置的通知訂閱資料不正確，請重新開啟通知。",
  scheme: "通知服務的位址必須使用 HTTPS，無法在這個裝置開啟通知。",
  host: "這個瀏覽器使用的通知服務不在本系統允許的清單內（Google、Mozilla、Microsoft、Apple），無法開啟通知。",
  address: "通知服務的位址指向內部網路，無法在這個裝置開啟通知。",
  dns: "目前無法確認通知服務的位址，請稍後再試一次。",
};

/** A send the push policy refused before any request was made. */
export class OutboundRefused extends Error {
  constructor(
    readonly reason: PushRefusal,
    /** True when the URL itself is refused (it never will be sent to); false for a DNS answer. */
    readonly permanent: boolean,
  ) {
    super(`push endpoint refused: ${reason}`);
    this.name = "OutboundRefused";
  }
}

export interface PushOutboundOptions {
  /** PUSH_SERVICE_HOSTS: exact hosts or `*.domain` patterns. */
  hosts: readonly string[];
  /**
   * Tests only (config refuses it when NODE_ENV=production): endpoints on this machine's
   * loopback (127.0.0.0/8, ::1, localhost), over http or https, on any port.
   */
  allowLoopback: boolean;
  /** DNS; tests inject one to play a push-service name that resolves inside. */
  lookup?: LookupFunction;
}

export type PushOutbound = ReturnType<typeof pushOutbound>;

/**
 * The push purpose of the outbound policy (policy.ts). Checked twice: when a device
 * subscribes (`check`, so the person gets a clear message and nothing is stored) and at
 * every send (`post`): the URL again, then every address DNS gives at connect time, in the
 * agent's own `lookup`, so a name that pointed outside at subscription and inside now (DNS
 * rebinding) is refused with no request made. Redirects are never followed (undici's
 * `request` does not follow them; a 3xx is just a failed delivery).
 */
export function pushOutbound(opts: PushOutboundOptions) {
  const policy = OUTBOUND_POLICIES.push;
  const lookup: LookupFunction = opts.lookup ?? (dns.lookup as LookupFunction);

  const addressAllowed = (address: string) => {
    const kind = classifyAddress(address);
    return kind === "public" || (opts.allowLoopback && kind === "loopback");
  };
  const loopbackHost = (host: string) =>
    opts.allowLoopback && (host === "localhost" || (isIP(host) !== 0 && classifyAddress(host) === "loopback"));

  /** The URL alone: scheme, host list, literal address. */
  function urlRefusal(url: URL): PushRefusal | null {
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    if (url.username || url.password) return "invalid";
    if (loopbackHost(host)) return /^https?:$/.test(url.protocol) ? null : "scheme";
    if (!(policy.schemes as readonly string[]).includes(url.protocol)) return "scheme";
    if (isIP(host) !== 0) return addressAllowed(host) ? "host" : "address";
    if (!hostMatches(host, opts.hosts)) return "host";
    return null;
  }

  /** Every address the name resolves to must be allowed (one inside is enough to refuse). */
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as unknown as dns.LookupAddress[];
      if (list.length === 0 || list.some((a) => !addressAllowed(a.address))) {
        return callback(new OutboundRefused("address", false), "", 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as any)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };

  const dispatcher = new Agent({
    connect: { lookup: guardedLookup, timeout: policy.timeoutMs },
    headersTimeout: policy.timeoutMs,
    bodyTimeout: policy.timeoutMs,
  });

  /** At subscription: the URL, then what its name resolves to now. */
  async function check(endpoint: string): Promise<PushRefusal | null> {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return "invalid";
    }
    const refusal = urlRefusal(url);
    if (refusal) return refusal;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0) return null;
    return new Promise((resolve) => {
      guardedLookup(host, { all: true }, (err) => {
        resolve(err instanceof OutboundRefused ? err.reason : err ? "dns" : null);
      });
    });
  }

  /** One POST to a push service under the policy; answers its status. */
  async function post(endpoint: string, init: { headers: Record<string, string>; body?: Uint8Array }) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new OutboundRefused("invalid", true);
    }
    const refusal = urlRefusal(url);
    if (refusal) throw new OutboundRefused(refusal, true);
    try {
      const res = await request(url, {
        method: "POST",
        headers: init.headers,
        body: init.body,
        dispatcher,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      await res.body.dump({ limit: policy.maxResponseBytes }).catch(() => undefined);
      return { status: res.statusCode };
    } catch (e) {
      throw refusedCause(e) ?? e;
    }
  }

  return { check, post, close: () => dispatcher.close() };
}

/** undici wraps the lookup's error; find ours so the caller can tell a refusal from an outage. */
function refusedCause(e: unknown): OutboundRefused | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof OutboundRefused) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
