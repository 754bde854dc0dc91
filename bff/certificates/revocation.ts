import type { X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, CRLDistributionPoints, id_ce_cRLDistributionPoints } from "@peculiar/asn1-x509";
import type { Database } from "../../db/index.js";
import type { ParamReader } from "../params/store.js";
import { ensureSources } from "./crl-store.js";
import { normaliseSerial } from "./der.js";

/**
 * What the stored CRLs say about a certificate (ADR 0035):
 * - good: a list in force covers it and does not name it;
 * - revoked: a stored list of its CA names its serial number;
 * - stale: its lists are all past nextUpdate plus the grace period;
 * - missing: a list is known for it but none has been fetched yet;
 * - unchecked: neither the certificate nor the configuration names a list for its CA.
 */
export type RevocationStatus = "good" | "revoked" | "stale" | "missing" | "unchecked";

/** A list without nextUpdate (RFC 5280 requires one) is treated as good for a day. */
const NO_NEXT_UPDATE_MS = 86_400_000;

/** The http(s) CRL distribution points a certificate names (fullName URIs only). */
export function crlUrlsOf(cert: X509Certificate): string[] {
  const ext = AsnConvert.parse(cert.raw, Certificate).tbsCertificate.extensions?.find(
    (e) => e.extnID === id_ce_cRLDistributionPoints,
  );
  if (!ext) return [];
  const points = AsnConvert.parse(ext.extnValue.buffer, CRLDistributionPoints);
  const uris = points.flatMap((p) => p.distributionPoint?.fullName ?? []).map((n) => n.uniformResourceIdentifier);
  return [...new Set(uris.filter((u): u is string => !!u && /^https?:\/\/[^\s]+$/i.test(u)))];
}

/**
 * Looks the certificate up in the stored lists. The lists considered are those at the
 * certificate's own distribution points when it names any, else every list its CA signed;
 * with none fetched, a configured list not fetched yet could be its CA's, so it counts as missing.
 */
export async function storedStatus(
  db: Database,
  opts: { cert: X509Certificate; issuer: X509Certificate; urls: readonly string[]; graceMs: number; now: Date },
): Promise<RevocationStatus> {
  const fp = opts.issuer.fingerprint256;
  let query = db.selectFrom("cert_crl_sources").select(["url", "ca_fingerprint", "this_update", "next_update"]);
  query =
    opts.urls.length > 0
      ? query.where("url", "in", opts.urls)
      : query.where((eb) =>
          eb.or([
            eb("ca_fingerprint", "=", fp),
            // A configured list not fetched yet may be this CA's; another card's point is not.
            eb.and([eb("ca_fingerprint", "is", null), eb("origin", "=", "config")]),
          ]),
        );
  const sources = await query.execute();
  const fetched = sources.filter((s) => s.ca_fingerprint === fp && s.this_update);
  if (fetched.length > 0) {
    const hit = await db
      .selectFrom("cert_revoked")
      .select("serial")
      .where(
        "url",
        "in",
        fetched.map((s) => s.url),
      )
      .where("serial", "=", normaliseSerial(opts.cert.serialNumber))
      .executeTakeFirst();
    if (hit) return "revoked";
  }
  if (fetched.length === 0) {
    // Its own distribution point, or a configured list that may turn out to be its CA's.
    return opts.urls.length > 0 || sources.some((s) => s.ca_fingerprint === null) ? "missing" : "unchecked";
  }
  const inForce = (s: (typeof fetched)[number]) =>
    (s.next_update?.getTime() ?? s.this_update!.getTime() + NO_NEXT_UPDATE_MS) + opts.graceMs >= opts.now.getTime();
  return fetched.some(inForce) ? "good" : "stale";
}

/** What the sign-in does with a status: go on, refuse as revoked, or refuse as unknown. */
export type RevocationVerdict = "ok" | "revoked" | "unknown";

export type RevocationCheck = (cert: X509Certificate, issuer: X509Certificate, now: Date) => Promise<RevocationVerdict>;

/**
 * The sign-in's revocation check (ADR 0035): the card's OCSP responder first when it names
 * one, else (or when it fails) the stored CRLs. A distribution point first seen on a card
 * becomes a source and is fetched at once, so the next attempt a few seconds later can be
 * decided; until then the card is refused unless CERT_CRL_MISSING=allow.
 */
export function revocationCheck(deps: {
  db: Database;
  params: Pick<ParamReader, "get">;
  missing: "refuse" | "allow";
  queueFirstFetch(url: string, now: Date): Promise<void>;
  /** The card's OCSP responder's answer, when it names one (ocsp.ts); good or revoked decides. */
  ocsp?: (o: { cert: X509Certificate; issuer: X509Certificate; now: Date }) => Promise<"good" | "revoked" | null>;
}): RevocationCheck {
  return async (cert, issuer, now) => {
    const answer = deps.ocsp ? await deps.ocsp({ cert, issuer, now }) : null;
    if (answer === "good") return "ok";
    if (answer === "revoked") return "revoked";
    const urls = crlUrlsOf(cert);
    const graceMs = (await deps.params.get("crl_grace_hours")) * 3_600_000;
    const status = await storedStatus(deps.db, { cert, issuer, urls, graceMs, now });
    if (status === "missing" && urls.length > 0) {
      await ensureSources(deps.db, urls, "certificate", now);
      for (const url of urls) await deps.queueFirstFetch(url, now);
    }
    if (status === "revoked") return "revoked";
    if (status === "stale" || (status === "missing" && deps.missing === "refuse")) return "unknown";
    return "ok";
  };
}
