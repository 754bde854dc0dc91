import fs from "node:fs";

/** The AD connection and mapping, read from AD_* configuration (README's table). */
export interface DirectorySettings {
  /** ldaps://host[:port]. Plain ldap:// is refused: unicodePwd must travel encrypted. */
  url: string;
  bindDN: string;
  bindPassword: string;
  /** PEM bundle that signs the DC's certificate; undefined trusts Node's CA store. */
  ca?: Buffer;
  /** The name the DC's certificate carries (it is checked against this, not the URL's host). */
  tlsName: string;
  baseDN: string;
  /** Agency code or agency id → OU DN; key "*" is the OU for agencies not listed. */
  ouMap: Record<string, string>;
  upnSuffix: string;
  timeoutMs: number;
}

export interface DirectoryEnv {
  AD_URL?: string;
  AD_BIND_DN?: string;
  AD_BIND_PASSWORD?: string;
  AD_CA_FILE?: string;
  AD_TLS_NAME?: string;
  AD_BASE_DN?: string;
  AD_OU_MAP?: string;
  AD_UPN_SUFFIX?: string;
  AD_TIMEOUT_MS: number;
}

const invalid = (key: string, why: string) => new Error(`Invalid configuration:\n  ${key}: ${why}`);

/** Undefined when AD_URL is unset (AD not configured: the sync jobs wait). Throws on a half configuration. */
export function directorySettings(env: DirectoryEnv): DirectorySettings | undefined {
  if (!env.AD_URL) return undefined;
  let url: URL;
  try {
    url = new URL(env.AD_URL);
  } catch {
    throw invalid("AD_URL", "not a URL");
  }
  if (url.protocol !== "ldaps:") throw invalid("AD_URL", "must be ldaps:// (AD refuses passwords over plain LDAP)");
  for (const key of ["AD_BIND_DN", "AD_BIND_PASSWORD", "AD_BASE_DN", "AD_OU_MAP"] as const) {
    if (!env[key]) throw invalid(key, "required when AD_URL is set");
  }
  const baseDN = env.AD_BASE_DN!;
  const ouMap = parseOuMap(env.AD_OU_MAP!, baseDN);
  const ca = env.AD_CA_FILE ? readCa(env.AD_CA_FILE) : undefined;
  return {
    url: `ldaps://${url.host}`,
    bindDN: env.AD_BIND_DN!,
    bindPassword: env.AD_BIND_PASSWORD!,
    ca,
    tlsName: env.AD_TLS_NAME ?? url.hostname,
    baseDN,
    ouMap,
    upnSuffix: env.AD_UPN_SUFFIX ?? domainOf(baseDN),
    timeoutMs: env.AD_TIMEOUT_MS,
  };
}

/** `{"A01":"OU=Finance","*":"OU=Portal"}`; an OU without DC= parts is taken relative to AD_BASE_DN. */
function parseOuMap(text: string, baseDN: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid("AD_OU_MAP", "not JSON");
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw invalid("AD_OU_MAP", "must be a JSON object");
  const map: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== "string" || !/^OU=/i.test(value.trim())) {
      throw invalid("AD_OU_MAP", `${key}: the value must be an OU DN (OU=…)`);
    }
    map[key] = /(^|,)\s*DC=/i.test(value) ? value.trim() : `${value.trim()},${baseDN}`;
  }
  return map;
}

function readCa(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw invalid("AD_CA_FILE", `cannot read ${file}`);
  }
}

/** DC=tainan,DC=gov,DC=tw → tainan.gov.tw */
export function domainOf(dn: string): string {
  return dn
    .split(",")
    .map((p) => p.trim())
    .filter((p) => /^DC=/i.test(p))
    .map((p) => p.slice(3))
    .join(".")
    .toLowerCase();
}

/** DNs compare without case and without spaces after commas (AD returns its own spelling). */
export function normalizeDN(dn: string): string {
  return dn.replace(/\s*,\s*/g, ",").toLowerCase();
}
