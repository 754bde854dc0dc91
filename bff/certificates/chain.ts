import type { X509Certificate } from "node:crypto";

/** Root, intermediates: a citizen certificate hangs 2-3 levels below its root. */
const MAX_DEPTH = 6;

export type ChainFailure = "untrusted" | "expired" | "not_yet_valid";

/**
 * Whether `leaf` chains to a certificate of the configured bundle, every link checked by
 * name (checkIssued) and by signature (verify), every certificate on the path within its
 * validity at `now`, every issuer a CA. The bundle holds roots and the intermediates
 * (MOICA's issuing CA below GRCA); a chain ends at a self-signed certificate of the bundle.
 */
export function checkChain(leaf: X509Certificate, bundle: X509Certificate[], now: Date): ChainFailure | null {
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  for (;;) {
    if (path.length > MAX_DEPTH) return "untrusted";
    const issuer = issuerIn(current, bundle);
    if (!issuer) return "untrusted";
    // A self-signed certificate of the bundle issued itself: the chain ends at a trust anchor.
    if (issuer.fingerprint256 === current.fingerprint256) break;
    path.push(issuer);
    current = issuer;
  }
  for (const cert of path) {
    if (now.getTime() < new Date(cert.validFrom).getTime()) return "not_yet_valid";
    if (now.getTime() > new Date(cert.validTo).getTime()) return "expired";
  }
  return null;
}

/** The CA of the bundle that issued `cert` (by name and by signature), if any. */
export const issuerIn = (cert: X509Certificate, bundle: readonly X509Certificate[]) =>
  bundle.find((ca) => ca.ca && cert.checkIssued(ca) && safeVerify(cert, ca));

function safeVerify(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
