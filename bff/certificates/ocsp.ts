import { createHash, verify, X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityInfoAccessSyntax, Certificate, id_ad_ocsp, id_pe_authorityInfoAccess } from "@peculiar/asn1-x509";
import { HASH_OF, subjectDer } from "./crl.js";
import {
  childList,
  derTlv,
  expectTag,
  integerHex,
  normaliseSerial,
  readOid,
  readTime,
  readTlv,
  TAG,
  type Tlv,
} from "./der.js";

/**
 * OCSP (RFC 6960) for a card that names a responder (ADR 0035): one request at sign-in, a
 * short timeout; "good" or "revoked" decides, anything else (no answer, an error status,
 * "unknown", a bad signature, a stale answer) is null and the stored CRL decides.
 */
export type OcspAnswer = "good" | "revoked" | null;

const SHA1 = derTlv(TAG.SEQUENCE, derTlv(TAG.OID, Buffer.from("2b0e03021a", "hex")), Buffer.from([0x05, 0x00]));
const BASIC = "1.3.6.1.5.5.7.48.1.1";
const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
/** Clock skew allowed, and how old an answer without nextUpdate may be. */
const SKEW_MS = 5 * 60_000;
const NO_NEXT_UPDATE_MS = 24 * 3600_000;

/** The http(s) OCSP responder the certificate names (authorityInfoAccess id-ad-ocsp), if any. */
export function ocspUrlOf(cert: X509Certificate): string | null {
  const ext = AsnConvert.parse(cert.raw, Certificate).tbsCertificate.extensions?.find(
    (e) => e.extnID === id_pe_authorityInfoAccess,
  );
  if (!ext) return null;
  const aia = AsnConvert.parse(ext.extnValue.buffer, AuthorityInfoAccessSyntax);
  const uri = aia.find((a) => a.accessMethod === id_ad_ocsp)?.accessLocation.uniformResourceIdentifier;
  return uri && /^https?:\/\/\S+$/i.test(uri) ? uri : null;
}

/** The issuer's key hash (SHA-1 of its subjectPublicKey bits), as CertID carries it. */
function issuerKeyHash(issuer: X509Certificate): Buffer {
  const spki = AsnConvert.parse(issuer.raw, Certificate).tbsCertificate.subjectPublicKeyInfo;
  return createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest();
}

/** An OCSPRequest for one certificate, unsigned, without a nonce (MOICA's responder needs none). */
export function ocspRequest(cert: X509Certificate, issuer: X509Certificate): Buffer {
  const nameHash = createHash("sha1").update(subjectDer(issuer)).digest();
  const serial = Buffer.from(cert.serialNumber.length % 2 ? `0${cert.serialNumber}` : cert.serialNumber, "hex");
  const certId = derTlv(
    TAG.SEQUENCE,
    SHA1,
    derTlv(TAG.OCTET_STRING, nameHash),
    derTlv(TAG.OCTET_STRING, issuerKeyHash(issuer)),
    derTlv(TAG.INTEGER, serial[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : serial),
  );
  const request = derTlv(TAG.SEQUENCE, certId);
  return derTlv(TAG.SEQUENCE, derTlv(TAG.SEQUENCE, derTlv(TAG.SEQUENCE, request)));
}

/** What a responder's answer says about `cert`, once its signature and dates check out. */
export function readOcspResponse(der: Buffer, o: { cert: X509Certificate; issuer: X509Certificate; now: Date }) {
  try {
    return parseAndCheck(der, o);
  } catch {
    return null;
  }
}

function parseAndCheck(der: Buffer, o: { cert: X509Certificate; issuer: X509Certificate; now: Date }): OcspAnswer {
  const [status, bytes] = childList(der, expectTag(readTlv(der, 0), TAG.SEQUENCE, "OCSPResponse"));
  if (expectTag(status, TAG.ENUMERATED, "responseStatus") && der[status!.start] !== 0) return null;
  const [type, octets] = childList(der, readTlv(der, expectTag(bytes, 0xa0, "responseBytes").start));
  if (readOid(der, type!) !== BASIC) return null;
  const basic = readTlv(der, expectTag(octets, TAG.OCTET_STRING, "response").start);
  const [tbs, alg, bits, certs] = childList(der, basic);
  const hash = HASH_OF[readOid(der, childList(der, alg!)[0]!)];
  const signature = der.subarray(bits!.start + 1, bits!.end);
  const signed = der.subarray(tbs!.from, tbs!.end);
  const signers = [o.issuer, ...delegatedSigners(der, certs, o.issuer, o.now)];
  if (!hash || !signers.some((s) => verifies(hash, signed, s, signature))) return null;
  const fields = childList(der, tbs!);
  const responses = fields.find((f, i) => i > 0 && f.tag === TAG.SEQUENCE);
  const keyHash = issuerKeyHash(o.issuer);
  for (const single of responses ? childList(der, responses) : []) {
    const answer = singleAnswer(der, single, keyHash, normaliseSerial(o.cert.serialNumber), o.now);
    if (answer !== undefined) return answer;
  }
  return null;
}

/** The answer of one SingleResponse about our certificate; undefined when it is about another. */
function singleAnswer(der: Buffer, single: Tlv, keyHash: Buffer, serial: string, now: Date): OcspAnswer | undefined {
  const [certId, status, thisUpdate, next] = childList(der, single);
  const [, , key, num] = childList(der, certId!);
  if (integerHex(der, num!) !== serial || !der.subarray(key!.start, key!.end).equals(keyHash)) return undefined;
  const produced = readTime(der, thisUpdate!).getTime();
  const until = next?.tag === 0xa0 ? readTime(der, readTlv(der, next.start)).getTime() : produced + NO_NEXT_UPDATE_MS;
  if (produced > now.getTime() + SKEW_MS || until < now.getTime() - SKEW_MS) return null;
  return status!.tag === 0x80 ? "good" : status!.tag === 0xa1 ? "revoked" : null;
}

/** Responder certificates the CA issued for OCSP signing (RFC 6960 §4.2.2.2), within their dates. */
function delegatedSigners(der: Buffer, certs: Tlv | undefined, issuer: X509Certificate, now: Date) {
  if (certs?.tag !== 0xa0) return [];
  return childList(der, readTlv(der, certs.start)).flatMap((c) => {
    const cert = new X509Certificate(der.subarray(c.from, c.end));
    const inDates = new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
    const forOcsp = Array.isArray(cert.keyUsage) && cert.keyUsage.includes(OCSP_SIGNING);
    return inDates && forOcsp && cert.checkIssued(issuer) && cert.verify(issuer.publicKey) ? [cert] : [];
  });
}

function verifies(hash: string, data: Buffer, signer: X509Certificate, signature: Buffer) {
  try {
    return verify(hash, data, signer.publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * Asks the card's responder, if it names one. Every failure (timeout, refused address, an
 * answer that does not check out) is null: the stored CRL decides then.
 */
export async function ocspStatus(
  ask: (url: string, body: Buffer) => Promise<Buffer>,
  o: { cert: X509Certificate; issuer: X509Certificate; now: Date },
): Promise<OcspAnswer> {
  const url = ocspUrlOf(o.cert);
  if (!url) return null;
  try {
    return readOcspResponse(await ask(url, ocspRequest(o.cert, o.issuer)), o);
  } catch {
    return null;
  }
}
