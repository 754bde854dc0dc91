import fs from "node:fs";
import { parseCardField } from "./card-field.js";
import { parsePemBundle } from "./encoding.js";
import type { CertificateTrust } from "./service.js";

/**
 * Reads CERT_CA_BUNDLE and CERT_CARD_FIELD at start. Without a bundle certificate sign-in
 * is off; a bundle that cannot be read or holds no CA stops the start with a clear reason.
 */
export function loadCertificateTrust(config: {
  CERT_CA_BUNDLE?: string;
  CERT_CARD_FIELD: string;
}): CertificateTrust | null {
  if (!config.CERT_CA_BUNDLE) return null;
  const fail = (why: string) => new Error(`Invalid configuration:\n  ${why}`);
  let text: string;
  try {
    text = fs.readFileSync(config.CERT_CA_BUNDLE, "utf8");
  } catch (e) {
    throw fail(`CERT_CA_BUNDLE: cannot read ${config.CERT_CA_BUNDLE} (${(e as Error).message})`);
  }
  let bundle;
  try {
    bundle = parsePemBundle(text);
  } catch (e) {
    throw fail(`CERT_CA_BUNDLE: ${(e as Error).message}`);
  }
  if (!bundle.some((c) => c.ca)) throw fail(`CERT_CA_BUNDLE: ${config.CERT_CA_BUNDLE} holds no CA certificate`);
  try {
    return { bundle, field: parseCardField(config.CERT_CARD_FIELD) };
  } catch (e) {
    throw fail(`CERT_CARD_FIELD: ${(e as Error).message}`);
  }
}
