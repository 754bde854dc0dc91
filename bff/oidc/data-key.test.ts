import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decrypt, encrypt, loadDataKey, open, SealedWithAnotherKey, withPrevious } from "./data-key.js";
import { SEALED_COLUMNS, SEALED_JSON_FIELDS } from "./data-key-rotation.js";

const base = { isProduction: false, embedded: true, isTest: false, dataDir: "/nonexistent" };

describe("data key", () => {
  it("refuses to start in production on PostgreSQL without DATA_KEY", () => {
    expect(() => loadDataKey({ ...base, isProduction: true, embedded: false })).toThrow(/DATA_KEY/);
  });

  it("takes DATA_KEY as 32 bytes of base64 and nothing else", () => {
    const key = randomBytes(32);
    expect(loadDataKey({ ...base, dataKey: key.toString("base64") })).toEqual(key);
    expect(() => loadDataKey({ ...base, dataKey: randomBytes(16).toString("base64") })).toThrow(/32 bytes/);
  });

  it("keeps a random key in DATA_DIR for a local install, the same on every start", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-key-"));
    try {
      const first = loadDataKey({ ...base, dataDir: dir });
      expect(loadDataKey({ ...base, dataDir: dir })).toEqual(first);
      expect(fs.statSync(path.join(dir, "data.key")).mode & 0o077).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("seals with AES-256-GCM: readable with the key, refused with another or after tampering", () => {
    const key = randomBytes(32);
    const sealed = encrypt(key, '{"d":"secret"}');
    expect(sealed).not.toContain("secret");
    expect(decrypt(key, sealed)).toBe('{"d":"secret"}');
    expect(() => decrypt(randomBytes(32), sealed)).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => decrypt(key, parts.join("."))).toThrow();
  });

  it("takes DATA_KEY_PREVIOUS (comma-separated) only with DATA_KEY", () => {
    const [now, old1, old2] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const key = loadDataKey({
      ...base,
      dataKey: now.toString("base64"),
      previousDataKey: `${old1.toString("base64")}, ${old2.toString("base64")}`,
    });
    expect(key.previous).toEqual([old1, old2]);
    expect(() => loadDataKey({ ...base, previousDataKey: old1.toString("base64") })).toThrow(/DATA_KEY: required/);
    expect(() => loadDataKey({ ...base, dataKey: now.toString("base64"), previousDataKey: "c2hvcnQ=" })).toThrow(
      /DATA_KEY_PREVIOUS: must be 32 bytes/,
    );
  });

  it("during a rotation opens what either key sealed, and seals with the current key only", () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    // Step 1 of the rollout: the old key seals, the new one already opens; step 2: the other way round.
    const step1 = withPrevious(Buffer.from(oldKey), [newKey]);
    const step2 = withPrevious(Buffer.from(newKey), [oldKey]);
    const byStep1 = encrypt(step1, "one");
    const byStep2 = encrypt(step2, "two");
    expect(open(step1, byStep2)).toEqual({ plaintext: "two", current: false });
    expect(open(step2, byStep1)).toEqual({ plaintext: "one", current: false });
    expect(open(step2, byStep2)).toEqual({ plaintext: "two", current: true });
    expect(decrypt(newKey, byStep2)).toBe("two");
    expect(() => decrypt(oldKey, byStep2)).toThrow(SealedWithAnotherKey);
    expect(() => decrypt(newKey, byStep1)).toThrow(/DATA_KEY/);
  });

  it("every module that seals a value keeps it where the DATA_KEY rotation re-seals it", () => {
    // A new sealed column must join SEALED_COLUMNS / SEALED_JSON_FIELDS and this list.
    const writers: Record<string, string> = {
      "bff/oidc/keys.ts": "oidc_signing_keys.private_enc, app_keys.value (cookie keys)",
      "bff/oidc/data-key-check.ts": "app_keys.value",
      "bff/oidc/data-key-rotation.ts": "re-seals in place",
      "bff/push/vapid.ts": "app_keys.value",
      "bff/auth/totp.ts": "totp_enrolments.secret_enc (then accounts.totp_secret_enc)",
      "bff/oidc/applications.ts": "sso_applications.secret_enc",
      "bff/auth/code-delivery.ts": "jobs.payload",
      "bff/shared-accounts/password.ts": "jobs.payload",
      "bff/directory/queue.ts": "jobs.payload",
    };
    const found = fs
      .readdirSync("bff", { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== path.join("oidc", "data-key.ts"))
      .map((f) => path.join("bff", f))
      .filter((f) => /\bencrypt\(/.test(fs.readFileSync(f, "utf8")));
    expect(found.sort()).toEqual(Object.keys(writers).sort());
    const places = [...SEALED_COLUMNS, ...SEALED_JSON_FIELDS].map((c) => `${c.table}.${c.column}`);
    for (const where of Object.values(writers)
      .join(", ")
      .match(/[a-z_]+\.[a-z_]+/g) ?? []) {
      expect(places, where).toContain(where);
    }
  });
});
