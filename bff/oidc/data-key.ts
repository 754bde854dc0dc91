import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * The key that seals secrets at rest (OIDC private keys, cookie keys, TOTP secrets, the
 * VAPID private key, passwords waiting in jobs). During a DATA_KEY rotation it also
 * carries the previous key(s): `decrypt` opens what either sealed, `encrypt` always
 * uses the current one. The previous keys ride on the Buffer itself so every service
 * that already takes `dataKey: Buffer` accepts both keys without a signature change.
 * See docs/decisions/0010-oidc-keys.md.
 */
export type DataKey = Buffer & { readonly previous?: readonly Buffer[] };

export function withPrevious(current: Buffer, previous: Buffer[]): DataKey {
  return previous.length > 0 ? Object.assign(current, { previous }) : current;
}

/** Where the key came from, for an error message that tells the operator what to change. */
export function dataKeySource(opts: { dataKey?: string; isTest: boolean; dataDir: string }): string {
  if (opts.dataKey) return "DATA_KEY";
  if (opts.isTest) return "DATA_KEY (unset: a key made for this test process)";
  return `DATA_KEY (unset: the key in ${path.join(opts.dataDir, "data.key")})`;
}

function parseKey(name: string, value: string): Buffer {
  const key = Buffer.from(value, "base64");
  if (key.length !== 32) throw new Error(`Invalid configuration:\n  ${name}: must be 32 bytes, base64`);
  return key;
}

/**
 * DATA_KEY when set (32 bytes, base64), with DATA_KEY_PREVIOUS during a rotation.
 * Without it a production server on PostgreSQL refuses to start; a local install keeps
 * a random key in DATA_DIR/data.key; tests use one per process.
 */
export function loadDataKey(opts: {
  dataKey?: string;
  previousDataKey?: string;
  isProduction: boolean;
  embedded: boolean;
  isTest: boolean;
  dataDir: string;
}): DataKey {
  const previous = opts.previousDataKey
    ? opts.previousDataKey.split(",").map((v) => parseKey("DATA_KEY_PREVIOUS", v.trim()))
    : [];
  if (opts.dataKey) return withPrevious(parseKey("DATA_KEY", opts.dataKey), previous);
  if (previous.length > 0) {
    throw new Error("Invalid configuration:\n  DATA_KEY: required when DATA_KEY_PREVIOUS is set");
  }
  if (opts.isProduction && !opts.embedded) {
    throw new Error("Invalid configuration:\n  DATA_KEY: required when NODE_ENV=production with DATABASE_URL");
  }
  if (opts.isTest) return (processKey ??= randomBytes(32));
  const file = path.join(opts.dataDir, "data.key");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${file}: not a 32-byte base64 key`);
  return key;
}

let processKey: Buffer | undefined;

/** AES-256-GCM: "v1.<iv>.<tag>.<ciphertext>", all base64url. */
export function encrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/** A sealed value that neither the current nor a previous key opens. */
export class SealedWithAnotherKey extends Error {
  constructor() {
    super("sealed with another DATA_KEY: it does not open with DATA_KEY (nor DATA_KEY_PREVIOUS)");
    this.name = "SealedWithAnotherKey";
  }
}

/**
 * Opens a sealed value with the current key, else with a previous one. The format has no
 * key id (servers of the previous release must keep reading what this one writes), so
 * the keys are tried in turn: GCM's tag makes a wrong key fail, never misread.
 */
export function decrypt(key: DataKey, sealed: string): string {
  return open(key, sealed).plaintext;
}

/** Like decrypt, and whether the current key opened it (false: re-seal it). */
export function open(key: DataKey, sealed: string): { plaintext: string; current: boolean } {
  const [v, iv, tag, body] = sealed.split(".");
  if (v !== "v1" || !iv || !tag || body === undefined) throw new Error("unknown sealed value format");
  const keys = [key, ...(key.previous ?? [])];
  for (let i = 0; i < keys.length; i++) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", keys[i]!, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
      return { plaintext: plaintext.toString("utf8"), current: i === 0 };
    } catch {
      // next key
    }
  }
  throw new SealedWithAnotherKey();
}
