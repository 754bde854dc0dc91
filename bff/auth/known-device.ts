import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a device stays known after its last successful sign-in (each sign-in renews it). */
export const KNOWN_DEVICE_DAYS = 180;

export interface KnownDevice {
  accountId: number;
  /** Random per device: its own failure count (throttle key `device:<id>`). */
  deviceId: string;
}

/**
 * Issue 14 item 5 (ADR 0025): a browser that signed in to an account before carries a
 * cookie naming that account, signed with a key derived from DATA_KEY. Such a device is
 * not refused by the account's lock or its username throttle — a stranger's guesses cannot
 * lock the owner out — but counts its own failures. Stateless: nothing to store or purge.
 */
export function knownDevices(key: Buffer, purpose: "account" | "shared" = "account") {
  // The purpose is signed too: a personal account's cookie never names a shared account.
  const mac = (body: string) => createHmac("sha256", key).update(`known-device:${purpose}:${body}`).digest("base64url");

  function issue(accountId: number, now: Date, deviceId?: string): { value: string; expiresAt: Date } {
    const id = deviceId ?? randomBytes(16).toString("base64url");
    const body = `v1.${accountId}.${id}.${Math.floor(now.getTime() / 1000)}`;
    return { value: `${body}.${mac(body)}`, expiresAt: new Date(now.getTime() + KNOWN_DEVICE_DAYS * 86_400_000) };
  }

  /** The account and device a cookie names, or null when it is absent, forged or too old. */
  function read(value: unknown, now: Date): KnownDevice | null {
    if (typeof value !== "string" || value.length > 200) return null;
    const m = /^(v1\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.(\d{1,12}))\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m) return null;
    const [, body, account, deviceId, issued, sig] = m as unknown as [string, string, string, string, string, string];
    const want = Buffer.from(mac(body));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    if (Number(issued) * 1000 + KNOWN_DEVICE_DAYS * 86_400_000 < now.getTime()) return null;
    return { accountId: Number(account), deviceId };
  }

  return { issue, read };
}

export type KnownDevices = ReturnType<typeof knownDevices>;

/** The device key, kept apart from every other use of DATA_KEY. */
export function knownDeviceKey(dataKey: Buffer): Buffer {
  return createHmac("sha256", dataKey).update("portal known device v1").digest();
}
