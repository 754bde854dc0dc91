import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * The key that encrypts secrets at rest (OIDC private keys, cookie keys): DATA_KEY when
 * set (32 bytes, base64). Without it a production server on PostgreSQL refuses to start;
 * a local install keeps a random key in DATA_DIR/data.key; tests use one per process.
 * See docs/decisions/0010-oidc-keys.md.
 */
export function loadDataKey(opts: {
  dataKey?: string;
  isProduction: boolean;
  embedded: boolean;
  isTest: boolean;
  dataDir: string;
}): Buffer {
  if (opts.dataKey) {
    const key = Buffer.from(opts.dataKey, "base64");
    if (key.length !== 32) throw new Error("Invalid configuration:\n  DATA_KEY: must be 32 bytes, base64");
    return key;
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

export function decrypt(key: Buffer, sealed: string): string {
  const [v, iv, tag, body] = sealed.split(".");
  if (v !== "v1" || !iv || !tag || body === undefined) throw new Error("unknown sealed value format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}
