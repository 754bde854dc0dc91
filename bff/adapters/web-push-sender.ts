import webpush from "web-push";
import type { PushOutbound } from "../outbound/push.js";
import type { PushSender } from "../ports/push.js";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** A VAPID JWT may live up to 24 h; we sign one per push service for 12 h and reuse it. */
const JWT_LIFETIME_S = 12 * 3600;

/**
 * VAPID-signed, aes128gcm-encrypted web push. web-push builds the request; it is sent
 * through the push outbound policy (bff/outbound/push.ts: known push services only, public
 * addresses checked at connect time, no redirects), never with a bare fetch.
 * Signing an ES256 JWT per message would dominate a large fan-out, so the Authorization
 * header is cached per push-service origin until shortly before it expires.
 */
export function webPushSender(keys: VapidKeys, outbound: PushOutbound): PushSender {
  const headers = new Map<string, { value: Record<string, string>; until: number }>();
  const vapidHeaders = (endpoint: string) => {
    const audience = new URL(endpoint).origin;
    const cached = headers.get(audience);
    const nowS = Math.floor(Date.now() / 1000);
    if (cached && cached.until > nowS) return cached.value;
    const value = webpush.getVapidHeaders(
      audience,
      keys.subject,
      keys.publicKey,
      keys.privateKey,
      "aes128gcm",
      nowS + JWT_LIFETIME_S,
    ) as Record<string, string>;
    headers.set(audience, { value, until: nowS + JWT_LIFETIME_S - 600 });
    return value;
  };
  return {
    publicKey: keys.publicKey,
    async send(target, payload, opts) {
      const details = webpush.generateRequestDetails(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        payload,
        {
          TTL: opts.ttl,
          urgency: opts.urgency,
          contentEncoding: "aes128gcm",
        },
      );
      return outbound.post(details.endpoint, {
        headers: { ...(details.headers as Record<string, string>), ...vapidHeaders(target.endpoint) },
        body: details.body ? new Uint8Array(details.body) : undefined,
      });
    },
  };
}

export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys();
}
