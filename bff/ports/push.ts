/** A browser's push subscription (PushSubscription.toJSON()). */
export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushOptions {
  /** Seconds the push service keeps an undelivered message. */
  ttl: number;
  urgency: "very-low" | "low" | "normal" | "high";
}

/** Web push (NTF-1): encrypts and posts one message; answers the push service's status. */
export interface PushSender {
  readonly publicKey: string;
  send(target: PushTarget, payload: string, opts: PushOptions): Promise<{ status: number }>;
}
