import type { Database } from "../../db/index.js";

export interface OutgoingMessage {
  to: string;
  subject: string;
  text: string;
}

export interface SendContext {
  /** The job's transaction: an embedded adapter writes in it, so it commits exactly once. */
  db: Database;
  /** Stable across retries, so a receiver can drop a duplicate. */
  idempotencyKey: string;
}

/** E-mail (NTF-2). */
export interface Mailer {
  send(msg: OutgoingMessage, ctx: SendContext): Promise<void>;
}

/** SMS (NTF-3). */
export interface SmsGateway {
  send(msg: { to: string; text: string }, ctx: SendContext): Promise<void>;
}
