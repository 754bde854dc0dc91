import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decrypt, encrypt, loadDataKey } from "./data-key.js";

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
});
