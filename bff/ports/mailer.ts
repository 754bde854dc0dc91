import type { Database } from "../../db/index.js";

export interface OutgoingMessage {
  to: string;
  subject: string;
  text: string;
}

export interface SendContext {
  /**
   * The plain pool, never a transaction: the send runs with none open (ADR 4). An embedded
   * adapter writes once, keyed by the idempotency key, so a repeated send adds nothing.
   */
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
