import { verify, type X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, id_ce_keyUsage, KeyUsage, KeyUsageFlags, Name } from "@peculiar/asn1-x509";
import {
  childList,
  children,
  DerError,
  expectTag,
  integerHex,
  readOid,
  readTime,
  readTlv,
  TAG,
  type Tlv,
} from "./der.js";

/**
 * A certificate revocation list (RFC 5280 §5), read in place from its DER (ADR 0035). MOICA's
 * lists are tens of MB; @peculiar/asn1-x509's CertificateList would build an object per
 * field of every entry, so the list is walked with der.ts and only the small parts (names,
 * the CA certificate) go through asn1-x509.
 */
export interface Crl {
  der: Buffer;
  tbs: Tlv;
  sigAlgOid: string;
  signature: Buffer;
  issuer: Tlv;
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: string | null;
  /** The revokedCertificates sequence, absent when nothing is revoked. */
  list: Tlv | null;
  entries: number;
}

export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  /** CRLReason code (1 keyCompromise … 6 certificateHold …) when the entry gives one. */
  reason: number | null;
}

const ID_CE_CRL_NUMBER = "2.5.29.20";
const ID_CE_DELTA_CRL = "2.5.29.27";
const ID_CE_REASON = "2.5.29.21";

/** Signature algorithms a CA may sign its CRL with, and their hash. */
export const HASH_OF: Record<string, string> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};

/** Parses a CRL and checks every entry's shape; throws DerError with the reason. */
export function parseCrl(der: Buffer): Crl {
  const outer = expectTag(readTlv(der, 0), TAG.SEQUENCE, "CertificateList");
  if (outer.end !== der.length) throw new DerError("trailing bytes");
  const [tbs, sigAlg, sigValue] = childList(der, outer);
  expectTag(tbs, TAG.SEQUENCE, "tbsCertList");
  const bits = expectTag(sigValue, TAG.BIT_STRING, "signatureValue");
  const fields = childList(der, tbs!);
  let i = fields[0]?.tag === TAG.INTEGER ? 1 : 0;
  const innerAlg = expectTag(fields[i++], TAG.SEQUENCE, "signature");
  if (!der.subarray(innerAlg.from, innerAlg.end).equals(der.subarray(sigAlg!.from, sigAlg!.end))) {
    throw new DerError("the two signature algorithms differ");
  }
  const issuer = expectTag(fields[i++], TAG.SEQUENCE, "issuer");
  const thisUpdate = readTime(der, fields[i++]!);
  const isTime = (t?: Tlv) => t?.tag === TAG.UTC_TIME || t?.tag === TAG.GENERALIZED_TIME;
  const nextUpdate = isTime(fields[i]) ? readTime(der, fields[i++]!) : null;
  const list = fields[i]?.tag === TAG.SEQUENCE ? fields[i++]! : null;
  const extensions = fields[i]?.tag === 0xa0 ? extensionMap(der, readTlv(der, fields[i++]!.start)) : new Map();
  if (i !== fields.length) throw new DerError("unexpected field in tbsCertList");
  if (extensions.has(ID_CE_DELTA_CRL)) throw new DerError("delta CRLs are not supported");
  const number = extensions.get(ID_CE_CRL_NUMBER);
  const crl: Crl = {
    der,
    tbs: tbs!,
    sigAlgOid: readOid(der, expectTag(childList(der, sigAlg!)[0], TAG.OID, "algorithm")),
    signature: der.subarray(bits.start + 1, bits.end),
    issuer,
    thisUpdate,
    nextUpdate,
    crlNumber: number ? integerHex(der, readTlv(der, number.start)) : null,
    list,
    entries: 0,
  };
  for (const _ of revokedEntries(crl)) crl.entries++;
  return crl;
}

/** The list's entries, one at a time, read from the CRL's own buffer. */
export function* revokedEntries(crl: Crl): Generator<RevokedEntry> {
  if (!crl.list) return;
  const { der } = crl;
  for (const entry of children(der, expectTag(crl.list, TAG.SEQUENCE, "revokedCertificates"))) {
    expectTag(entry, TAG.SEQUENCE, "entry");
    const serial = expectTag(readTlv(der, entry.start, entry.end), TAG.INTEGER, "userCertificate");
    const date = readTlv(der, serial.end, entry.end);
    const exts = date.end < entry.end ? readTlv(der, date.end, entry.end) : undefined;
    yield {
      serial: integerHex(der, serial),
      revokedAt: readTime(der, date),
      reason: exts ? reasonOf(der, exts) : null,
    };
  }
}

/** The CRLReason entry extension's code, if the entry has one. */
function reasonOf(der: Buffer, exts: Tlv): number | null {
  const value = extensionMap(der, exts).get(ID_CE_REASON);
  const reason = value ? readTlv(der, value.start, value.end) : undefined;
  return reason?.tag === TAG.ENUMERATED ? der[reason.start]! : null;
}

/** Extensions by OID: where each one's extnValue (OCTET STRING) is. */
function extensionMap(der: Buffer, seq: Tlv): Map<string, Tlv> {
  const map = new Map<string, Tlv>();
  for (const ext of children(der, expectTag(seq, TAG.SEQUENCE, "extensions"))) {
    const parts = childList(der, ext);
    const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, "extnValue");
    map.set(readOid(der, expectTag(parts[0], TAG.OID, "extnID")), value);
  }
  return map;
}

/**
 * The CA of the bundle that issued this CRL: its subject is the CRL's issuer (byte for byte),
 * its key usage (when given) allows cRLSign, and its key verifies the signature. Null when
 * none does: the list is not stored.
 */
export function crlSigner(crl: Crl, bundle: readonly X509Certificate[]): X509Certificate | null {
  const hash = HASH_OF[crl.sigAlgOid];
  if (!hash) return null;
  const issuer = crl.der.subarray(crl.issuer.from, crl.issuer.end);
  const tbs = crl.der.subarray(crl.tbs.from, crl.tbs.end);
  return (
    bundle.find((ca) => {
      if (!ca.ca || !issuer.equals(subjectDer(ca)) || !mayCrlSign(ca)) return false;
      try {
        return verify(hash, tbs, ca.publicKey, crl.signature);
      } catch {
        return false;
      }
    }) ?? null
  );
}

export function subjectDer(ca: X509Certificate): Buffer {
  const cert = AsnConvert.parse(ca.raw, Certificate);
  return Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subject));
}

function mayCrlSign(ca: X509Certificate): boolean {
  const cert = AsnConvert.parse(ca.raw, Certificate);
  const ku = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_keyUsage);
  if (!ku) return true;
  return (AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toNumber() & KeyUsageFlags.cRLSign) !== 0;
}

/** The CRL issuer's name as text, for the admin's eyes only. */
export const issuerText = (crl: Crl) =>
  AsnConvert.parse(crl.der.subarray(crl.issuer.from, crl.issuer.end), Name)
    .map((rdn) => rdn.map((a) => a.value.toString()).join("+"))
    .join(", ");
