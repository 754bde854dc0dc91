/**
 * A small PKI made by the tests themselves (IDN-4): root CAs, an issuing CA below a root,
 * and citizen cards whose certificate carries a card number where the portal is told to
 * look for it. Built with @peculiar/x509 on node's WebCrypto (ADR 0013).
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AttributeValue, GeneralName, OtherName, SubjectAlternativeName } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface TestCa {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

export interface TestCard {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** base64 DER, as HiPKI's `certb64`. */
  certB64: string;
  pem: string;
  cardNo: string;
  ec: boolean;
}

const YEAR = 365 * 24 * 3600_000;
let serial = 1;
const nextSerial = () => (serial++).toString(16).padStart(8, "0");

const caExtensions = () => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

/** A self-signed root, valid from a year before `around` to ten years after. */
export async function makeRootCa(name: string, around: Date): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name,
    notBefore: new Date(around.getTime() - YEAR),
    notAfter: new Date(around.getTime() + 10 * YEAR),
    keys,
    signingAlgorithm: RSA,
    extensions: caExtensions(),
  });
  return { cert, keys, pem: cert.toString("pem") };
}

/** An issuing CA below `parent` (MOICA below GRCA). */
export async function makeIssuingCa(parent: TestCa, name: string, around: Date): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: name,
    issuer: parent.cert.subject,
    notBefore: new Date(around.getTime() - YEAR),
    notAfter: new Date(around.getTime() + 5 * YEAR),
    publicKey: keys.publicKey,
    signingKey: parent.keys.privateKey,
    signingAlgorithm: RSA,
    extensions: caExtensions(),
  });
  return { cert, keys, pem: cert.toString("pem") };
}

export type CardNoPlace = { in: "subject" } | { in: "extension"; oid: string } | { in: "san"; oid: string };

export interface CardOptions {
  cardNo: string;
  /** Default: one year before `around` to two years after. */
  notBefore?: Date;
  notAfter?: Date;
  around: Date;
  /** Default: the card's signing certificate (digitalSignature | nonRepudiation). */
  keyUsage?: number;
  place?: CardNoPlace;
  ec?: boolean;
  /** A cRLDistributionPoints extension naming these URLs (issue 17 item 8). */
  crlUrls?: string[];
  /** An authorityInfoAccess extension naming this OCSP responder. */
  ocspUrl?: string;
}

const directoryString = (text: string) => AsnConvert.serialize(new AttributeValue({ printableString: text }));

/** A citizen card: its own key pair and a certificate from `issuer` naming the card number. */
export async function makeCard(issuer: TestCa, o: CardOptions): Promise<TestCard> {
  const ec = o.ec ?? false;
  const alg = ec ? EC : RSA;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const place = o.place ?? { in: "subject" };
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false),
    new x509.KeyUsagesExtension(
      o.keyUsage ?? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
      true,
    ),
  ];
  if (o.crlUrls) extensions.push(new x509.CRLDistributionPointsExtension(o.crlUrls));
  if (o.ocspUrl) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [o.ocspUrl] }));
  if (place.in === "extension") {
    extensions.push(new x509.Extension(place.oid, false, directoryString(o.cardNo)));
  }
  if (place.in === "san") {
    const san = new SubjectAlternativeName([
      new GeneralName({ otherName: new OtherName({ typeId: place.oid, value: directoryString(o.cardNo) }) }),
    ]);
    extensions.push(new x509.Extension("2.5.29.17", false, AsnConvert.serialize(san)));
  }
  // serialNumber (2.5.4.5) by OID: the name parser knows no short name for it.
  const subject = place.in === "subject" ? `CN=測試用戶, 2.5.4.5=${o.cardNo}, C=TW` : "CN=測試用戶, C=TW";
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject,
    issuer: issuer.cert.subject,
    notBefore: o.notBefore ?? new Date(o.around.getTime() - YEAR),
    notAfter: o.notAfter ?? new Date(o.around.getTime() + 2 * YEAR),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: RSA,
    extensions,
  });
  return {
    cert,
    keys,
    certB64: Buffer.from(cert.rawData).toString("base64"),
    pem: cert.toString("pem"),
    cardNo: o.cardNo,
    ec,
  };
}

/** What the card does: sign the text's bytes (RSA PKCS#1 v1.5 or ECDSA DER, SHA-256); base64. */
export async function signWithCard(card: TestCard, text: string): Promise<string> {
  const data = new TextEncoder().encode(text);
  if (!card.ec) {
    const sig = await webcrypto.subtle.sign(RSA, card.keys.privateKey, data);
    return Buffer.from(sig).toString("base64");
  }
  // WebCrypto gives ECDSA as r||s; certificates' signers send DER, as node verifies by default.
  const raw = new Uint8Array(await webcrypto.subtle.sign(EC, card.keys.privateKey, data));
  return Buffer.from(derEcdsa(raw)).toString("base64");
}

function derEcdsa(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.slice(i);
    return v[0]! & 0x80 ? Uint8Array.from([0, ...v]) : v;
  };
  const r = int(raw.slice(0, raw.length / 2));
  const s = int(raw.slice(raw.length / 2));
  return Uint8Array.from([0x30, r.length + s.length + 4, 0x02, r.length, ...r, 0x02, s.length, ...s]);
}

/** Writes the PEMs to a temporary file for CERT_CA_BUNDLE. */
export function writeBundle(...cas: TestCa[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-ca-"));
  const file = path.join(dir, "ca-bundle.pem");
  fs.writeFileSync(file, cas.map((c) => c.pem).join("\n"));
  return file;
}
