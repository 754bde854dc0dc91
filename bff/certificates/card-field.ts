import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AttributeValue,
  Certificate,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
} from "@peculiar/asn1-x509";

/**
 * Where the card number sits in a certificate (CERT_CARD_FIELD), because CAs differ:
 * - `subject:serialNumber` (or any subject attribute by short name or dotted OID),
 * - `extension:<OID>`: a non-standard extension whose value is a DER string,
 * - `san:<OID>`: an otherName of that type in the subject alternative name.
 */
export type CardField =
  { kind: "subject"; oid: string } | { kind: "extension"; oid: string } | { kind: "san"; oid: string };

const SUBJECT_NAMES: Record<string, string> = {
  serialnumber: "2.5.4.5",
  cn: "2.5.4.3",
  uid: "0.9.2342.19200300.100.1.1",
  emailaddress: "1.2.840.113549.1.9.1",
  ou: "2.5.4.11",
};
const OID_RE = /^[0-2](\.\d+)+$/;

/** Parses CERT_CARD_FIELD; the error names what is wrong so start-up can say it. */
export function parseCardField(spec: string): CardField {
  const [kind, rest] = spec.split(":", 2) as [string, string | undefined];
  const target = (rest ?? "").trim();
  if (kind === "subject") {
    const oid = SUBJECT_NAMES[target.toLowerCase()] ?? (OID_RE.test(target) ? target : undefined);
    if (oid) return { kind, oid };
  }
  if ((kind === "extension" || kind === "san") && OID_RE.test(target)) return { kind, oid: target };
  throw new Error(`expected subject:<serialNumber|CN|UID|OID>, extension:<OID> or san:<OID>, got "${spec}"`);
}

/** Card numbers are compared upper-case without spaces or hyphens, however they were typed. */
export function normaliseCardNo(value: string): string {
  return value.replace(/[\s-]+/g, "").toUpperCase();
}

export interface CertificateFacts {
  /** The card number from the configured field, normalised; null when the field is absent. */
  cardNo: string | null;
  /** keyUsage is present and allows digitalSignature (the card's signing certificate). */
  canSign: boolean;
}

/** Reads what sign-in needs from the DER that node's X509Certificate has already parsed. */
export function certificateFacts(der: Buffer, field: CardField): CertificateFacts {
  const cert = AsnConvert.parse(der, Certificate);
  const extensions = cert.tbsCertificate.extensions ?? [];
  const ext = (oid: string) => extensions.find((e) => e.extnID === oid);

  const ku = ext(id_ce_keyUsage);
  const canSign = ku
    ? (AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toNumber() & KeyUsageFlags.digitalSignature) !== 0
    : false;

  let raw: string | null = null;
  if (field.kind === "subject") {
    for (const rdn of cert.tbsCertificate.subject) {
      const attr = rdn.find((a) => a.type === field.oid);
      if (attr) raw = attr.value.toString();
    }
  } else if (field.kind === "extension") {
    const found = ext(field.oid);
    raw = found ? stringValue(found.extnValue.buffer) : null;
  } else {
    const san = ext(id_ce_subjectAltName);
    const names = san ? AsnConvert.parse(san.extnValue.buffer, SubjectAlternativeName) : [];
    const other = names.find((n) => n.otherName?.typeId === field.oid)?.otherName;
    raw = other ? stringValue(other.value) : null;
  }
  const cardNo = raw === null ? null : normaliseCardNo(raw);
  return { cardNo: cardNo && /^[A-Z0-9]{1,64}$/.test(cardNo) ? cardNo : null, canSign };
}

/** A DER string of any directory-string type (Printable, UTF8, IA5, BMP …), or null. */
function stringValue(der: ArrayBuffer): string | null {
  try {
    const value = AsnConvert.parse(der, AttributeValue);
    return value.anyValue ? null : value.toString();
  } catch {
    return null;
  }
}
