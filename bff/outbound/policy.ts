/**
 * Issue 14 item 2 (ADR 0024): every request the portal makes to a URL it did not write
 * itself goes through a policy chosen by its purpose. One table, so a reviewer sees in one
 * place where the server may send requests and on what terms.
 *
 * - hosts: where the URL may point. "push-services" is the configured list of push services
 *   (PUSH_SERVICE_HOSTS); "registered" means only URIs an administrator registered and
 *   validated for that system (the caller looks them up; nothing user-typed); "verified-chain"
 *   means only URLs read from a certificate chain that already verified against CERT_CA_BUNDLE.
 * - addresses: "public" refuses every non-public address (bff/outbound/ip.ts) at connect
 *   time, after DNS, so a name that later resolves inside is still refused; "any" allows the
 *   intranet, where the city's own systems live.
 * - redirects: always "never". A 3xx is an answer, not an instruction to go elsewhere.
 */
export interface OutboundPolicy {
  purpose: string;
  schemes: readonly ("https:" | "http:")[];
  hosts: "push-services" | "registered" | "verified-chain";
  addresses: "public" | "any";
  redirects: "never";
  /** Connect + answer, whole request. */
  timeoutMs: number;
  /** What the portal reads of an answer; the rest is discarded unread. */
  maxResponseBytes: number;
}

export const OUTBOUND_POLICIES = {
  /** NTF-1 web push: bff/outbound/push.ts enforces it (at subscription and at every send). */
  push: {
    purpose: "web push to a browser's push service",
    schemes: ["https:"],
    hosts: "push-services",
    addresses: "public",
    redirects: "never",
    timeoutMs: 10_000,
    maxResponseBytes: 64 * 1024,
  },
  /**
   * IDN-6 OpenID back-channel logout: to each connected system's registered
   * backchannel_logout_uri (bff/outbound/backchannel-logout.ts). City systems live on the
   * intranet, so private addresses are allowed; a short timeout keeps sign-out quick.
   */
  backchannelLogout: {
    purpose: "OpenID back-channel logout token to a registered system",
    schemes: ["https:", "http:"],
    hosts: "registered",
    addresses: "any",
    redirects: "never",
    timeoutMs: 5_000,
    maxResponseBytes: 16 * 1024,
  },
  /**
   * Certificate revocation lists (issue 17 item 8, ADR 0035): fetched by a background job
   * (bff/certificates/crl-job.ts), never during a sign-in, from a distribution point named by
   * a card that verified against CERT_CA_BUNDLE or listed in CERT_CRL_URLS. MOICA's lists are
   * tens of MB, hence the long timeout and the large cap; a list is useless until its
   * signature verifies against a CA of the bundle, so where it came from matters less.
   */
  crl: {
    purpose: "CRL of a CA in the trust bundle",
    schemes: ["http:", "https:"], // distribution points are usually plain http (RFC 5280)
    hosts: "verified-chain",
    addresses: "public",
    redirects: "never",
    timeoutMs: 120_000,
    maxResponseBytes: 200 * 1024 * 1024,
  },
  /**
   * OCSP (ADR 0035): at sign-in, to the responder a verified card names (authorityInfoAccess).
   * The person waits, so the timeout is short; a responder that fails leaves the CRL to decide.
   */
  ocsp: {
    purpose: "OCSP request about a certificate of a verified chain",
    schemes: ["http:", "https:"],
    hosts: "verified-chain",
    addresses: "public",
    redirects: "never",
    timeoutMs: 3_000,
    maxResponseBytes: 64 * 1024,
  },
} as const satisfies Record<string, OutboundPolicy>;

export type OutboundPurpose = keyof typeof OUTBOUND_POLICIES;

/** The push services browsers use today (PUSH_SERVICE_HOSTS overrides it). */
export const DEFAULT_PUSH_SERVICE_HOSTS = [
  "fcm.googleapis.com", // Chrome, Edge on Android, Samsung Internet
  "updates.push.services.mozilla.com", // Firefox
  "push.services.mozilla.com",
  "*.notify.windows.com", // Edge on Windows (WNS)
  "*.push.apple.com", // Safari (web.push.apple.com)
];

/**
 * A host matches an entry exactly, or any subdomain of a `*.` entry (not the bare domain:
 * `*.push.apple.com` is web.push.apple.com, not push.apple.com).
 */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    return pattern.startsWith("*.") ? h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1 : h === pattern;
  });
}
