import { z } from "zod";
import { PUSH_REFUSAL_MESSAGES } from "../outbound/push.js";
import { cleanText } from "../text.js";
import type { FormInput } from "../validation.js";

/** Whatever is wrong with a subscription, the user can only turn notifications on again. */
const BAD = PUSH_REFUSAL_MESSAGES.invalid;
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

const key = (min: number, max: number) =>
  z.string({ error: BAD }).regex(B64URL, { error: BAD }).min(min, { error: BAD }).max(max, { error: BAD });

const httpUrl = (s: string) => {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
};

/**
 * NTF-1 開啟通知: the browser's PushSubscription (endpoint and keys) and a device label. The
 * endpoint's host is checked against the push outbound policy by the service (DNS).
 */
export const subscribeSchema = z.object(
  {
    endpoint: z.string({ error: BAD }).max(2000, { error: BAD }).refine(httpUrl, { error: BAD }),
    keys: z.object({ p256dh: key(40, 200), auth: key(16, 64) }, { error: BAD }),
    // A label is only shown back to its owner: cleaned and cut, never refused.
    label: z.preprocess((v) => cleanText(v, 100).trim(), z.string()),
  },
  { error: BAD },
);
export type SubscribeInput = FormInput<typeof subscribeSchema>;
