import { X509Certificate } from "node:crypto";

/** A certificate the signing component returns is ~1.5 KB; anything far bigger is not one. */
export const MAX_CERTIFICATE_CHARS = 16_000;
/** RSA 4096 signatures are 512 bytes; base64 of that is 684 characters. */
export const MAX_SIGNATURE_CHARS = 1_400;

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_RE = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g;

/** Strict base64 (whitespace allowed, as components wrap lines): bytes, or null. */
export function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_RE.test(compact)) return null;
  return Buffer.from(compact, "base64");
}

/**
 * The signer's certificate as the component gives it: PEM, or base64 of the DER (HiPKI's
 * `certb64`). Null when it is neither or does not parse as X.509.
 */
export function parseCertificate(text: string): X509Certificate | null {
  if (text.length > MAX_CERTIFICATE_CHARS) return null;
  const pem = [...text.matchAll(PEM_RE)];
  const der = pem.length === 1 ? decodeBase64(pem[0]![1]!) : pem.length === 0 ? decodeBase64(text) : null;
  if (!der) return null;
  try {
    return new X509Certificate(der);
  } catch {
    return null;
  }
}

/** Every certificate in a PEM bundle (the configured CAs). Throws on a block that does not parse. */
export function parsePemBundle(text: string): X509Certificate[] {
  return [...text.matchAll(PEM_RE)].map((m, i) => {
    const der = decodeBase64(m[1]!);
    if (!der) throw new Error(`certificate ${i + 1} in the CA bundle is not valid base64`);
    return new X509Certificate(der);
  });
}
