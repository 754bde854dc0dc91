import { createECDH, createPublicKey, type ECDH, randomBytes, verify } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
// http_ece ships no types; its decrypt is all we need.
// @ts-expect-error untyped CommonJS module
import ece from "http_ece";

/** A device: the keys a browser would generate for a push subscription. */
export interface TestDevice {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: ECDH;
  authSecret: Buffer;
}

export interface Received {
  endpoint: string;
  payload: any;
  ttl: string | undefined;
  urgency: string | undefined;
  vapidSubject: string;
}

/**
 * A push service on 127.0.0.1 that does what a real one checks: the VAPID JWT (ES256,
 * audience, expiry) against the key in the Authorization header, then decrypts the
 * aes128gcm body with the device's private key, as the browser would.
 */
export async function startPushReceiver(expectedPublicKey?: () => string) {
  const devices = new Map<string, TestDevice>();
  const received: Received[] = [];
  const rejected: string[] = [];
  /** Per-endpoint scripted answers, consumed in order; default 201. */
  const script = new Map<string, number[]>();
  /** Endpoints whose messages are never answered (a push service that hangs). */
  const held = new Set<string>();
  /** Every accepted message is answered this much later (a slow push service). */
  let answerDelayMs = 0;
  let waiters: (() => void)[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const endpoint = `http://${req.headers.host}${req.url}`;
      const scripted = script.get(endpoint)?.shift();
      const device = devices.get(endpoint);
      try {
        if (!device) throw new Error("unknown endpoint");
        const subject = checkVapid(req.headers.authorization ?? "", endpoint, expectedPublicKey?.());
        if (scripted && scripted >= 300) {
          res.writeHead(scripted).end();
          return;
        }
        if (held.has(endpoint)) return; // never answered: not counted as received
        const plain: Buffer = ece.decrypt(Buffer.concat(chunks), {
          version: "aes128gcm",
          privateKey: device.ecdh,
          authSecret: device.authSecret,
        });
        const message: Received = {
          endpoint,
          payload: JSON.parse(plain.toString("utf8")),
          ttl: req.headers.ttl as string | undefined,
          urgency: req.headers.urgency as string | undefined,
          vapidSubject: subject,
        };
        // Counted as received when it is accepted (201), as a real push service delivers.
        const accept = () => {
          if (res.destroyed) return;
          received.push(message);
          res.writeHead(201).end();
          const w = waiters;
          waiters = [];
          w.forEach((f) => f());
        };
        if (answerDelayMs > 0) setTimeout(accept, answerDelayMs);
        else accept();
      } catch (e) {
        rejected.push(`${endpoint}: ${(e as Error).message}`);
        res.writeHead(400).end();
      } finally {
        const w = waiters;
        waiters = [];
        w.forEach((f) => f());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    received,
    rejected,
    /** A new device subscription on this receiver. */
    device(): TestDevice {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      const endpoint = `${base}/push/${randomBytes(8).toString("hex")}`;
      const d: TestDevice = {
        endpoint,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
        ecdh,
        authSecret,
      };
      devices.set(endpoint, d);
      return d;
    },
    /** Answers the next requests to this endpoint with these statuses (e.g. [500], [410]). */
    respond(endpoint: string, statuses: number[]) {
      script.set(endpoint, [...statuses]);
    },
    for: (endpoint: string) => received.filter((r) => r.endpoint === endpoint),
    /** From now on, never answers messages to these endpoints (the sender waits until its own timeout); [] ends it. */
    hold(endpoints: string[]) {
      held.clear();
      for (const e of endpoints) held.add(e);
    },
    /** Answers every accepted message `ms` later. */
    delayAnswers(ms: number) {
      answerDelayMs = ms;
    },
    /** Resolves once `n` messages in total have arrived. */
    async waitFor(n: number, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > until) throw new Error(`only ${received.length} of ${n} pushes arrived`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function checkVapid(authorization: string, endpoint: string, expectedKey?: string): string {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  if (!m) throw new Error("no VAPID authorization");
  const [, jwt, k] = m as unknown as [string, string, string];
  if (expectedKey && k !== expectedKey) throw new Error("VAPID key is not the portal's");
  const [h, p, s] = jwt.split(".") as [string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (header.alg !== "ES256") throw new Error("VAPID JWT is not ES256");
  const raw = Buffer.from(k, "base64url");
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: raw.subarray(1, 33).toString("base64url"),
      y: raw.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
  if (!ok) throw new Error("VAPID signature invalid");
  if (claims.aud !== new URL(endpoint).origin) throw new Error("VAPID audience wrong");
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) throw new Error("VAPID JWT expired");
  if (typeof claims.sub !== "string") throw new Error("VAPID subject missing");
  return claims.sub;
}
