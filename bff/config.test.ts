import { describe, expect, it } from "vitest";
import { loadConfig, parseTrustProxy } from "./config.js";

/** Issue 14 item 6: TRUST_PROXY takes hop counts or addresses/CIDRs; `true` never in production. */
describe("TRUST_PROXY", () => {
  const load = (env: Record<string, string>) => () =>
    loadConfig({ DATA_DIR: "/nonexistent", ...env } as unknown as NodeJS.ProcessEnv);

  it("accepts false, hop counts and address/CIDR lists (IPv4 and IPv6, Express's range names)", () => {
    expect(parseTrustProxy("", true)).toBe(false);
    expect(parseTrustProxy("false", true)).toBe(false);
    expect(parseTrustProxy("2", true)).toBe(2);
    expect(parseTrustProxy("loopback", true)).toBe("loopback");
    expect(parseTrustProxy(" Loopback, 10.0.0.0/8 ,192.168.1.10, fd00::/8, ::1", true)).toBe(
      "loopback, 10.0.0.0/8, 192.168.1.10, fd00::/8, ::1",
    );
    expect(load({ NODE_ENV: "production", TRUST_PROXY: "10.0.0.0/8" })().trustProxy).toBe("10.0.0.0/8");
  });

  it("refuses `true` at start in production, naming TRUST_PROXY; allows it in development", () => {
    expect(load({ NODE_ENV: "production", TRUST_PROXY: "true" })).toThrow(/TRUST_PROXY: expected false, a hop count/);
    expect(load({ NODE_ENV: "development", TRUST_PROXY: "true" })().trustProxy).toBe(true);
  });

  it("refuses what is neither a count nor an address anywhere", () => {
    for (const bad of ["yes", "10.0.0.0/33", "fd00::/129", "10.0.0.1/8/8", "example.com", "10.0.0.0/x", "1.2.3"]) {
      expect(() => parseTrustProxy(bad, false), bad).toThrow(/TRUST_PROXY/);
    }
  });
});

/** Issue 15 item 4 (ADR 0029): metrics are never public. */
describe("METRICS_*", () => {
  const load = (env: Record<string, string>) => () =>
    loadConfig({ DATA_DIR: "/nonexistent", ...env } as unknown as NodeJS.ProcessEnv);

  it("binds the metrics port to loopback unless told otherwise, and takes a long token", () => {
    const c = load({ METRICS_PORT: "9464", METRICS_TOKEN: "t".repeat(32) })();
    expect(c.METRICS_HOST).toBe("127.0.0.1");
    expect(c.METRICS_PORT).toBe(9464);
    expect(load({})().METRICS_PORT).toBeUndefined();
  });

  it("refuses a metrics listener off loopback without the token, a short token, and the app's own port", () => {
    expect(load({ METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0" })).toThrow(
      /METRICS_HOST: a non-loopback address needs METRICS_TOKEN/,
    );
    expect(load({ METRICS_PORT: "9464", METRICS_HOST: "10.1.2.3", METRICS_TOKEN: "t".repeat(32) })().METRICS_HOST).toBe(
      "10.1.2.3",
    );
    expect(load({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: at least 32 characters/);
    expect(load({ PORT: "3000", METRICS_PORT: "3000" })).toThrow(/must differ from PORT/);
    expect(load({ WORKER_METRICS_PORT: "99999" })).toThrow(/WORKER_METRICS_PORT/);
  });
});

/** Issue 17: a mail's links are absolute: production mail needs PUBLIC_ORIGIN. */
describe("PUBLIC_ORIGIN with SMTP_URL", () => {
  const env = (e: Record<string, string>) => ({ DATA_DIR: "/nonexistent", ...e }) as unknown as NodeJS.ProcessEnv;
  const prod = { NODE_ENV: "production", DATABASE_URL: "postgresql://x@localhost/db", SMTP_URL: "smtp://mail.test:25" };
  it("is required when SMTP_URL is set in production, named in the refusal", () => {
    expect(() => loadConfig(env(prod))).toThrow(/PUBLIC_ORIGIN: required when SMTP_URL is set in production/);
    expect(loadConfig(env({ ...prod, PUBLIC_ORIGIN: "https://portal.test" })).PUBLIC_ORIGIN).toBe(
      "https://portal.test",
    );
  });
  it("is optional outside production (the dev mailbox uses the request's origin)", () => {
    expect(() => loadConfig(env({ NODE_ENV: "test", SMTP_URL: "smtp://mail.test:25" }))).not.toThrow();
  });
});
