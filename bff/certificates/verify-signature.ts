import { verify, type X509Certificate } from "node:crypto";

/**
 * The card's signature over the challenge text: RSA PKCS#1 v1.5 with SHA-256 (what HiPKI's
 * `signatureType: "PKCS1"` with `hashAlgorithm: "SHA256"` returns, and what citizen cards
 * hold), or ECDSA with SHA-256 in DER form for EC keys. Other keys are refused.
 */
export function signatureMatches(cert: X509Certificate, text: string, signature: Buffer): boolean {
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") return false;
  try {
    return verify("sha256", Buffer.from(text, "utf8"), key, signature);
  } catch {
    return false;
  }
}
