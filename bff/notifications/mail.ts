import type { Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import type { Lane } from "../jobs/lanes.js";
import { callingJob, type JobHandlers } from "../jobs/worker.js";
import type { Mailer, OutgoingMessage, SmsGateway } from "../ports/mailer.js";

/**
 * Queues an e-mail in the caller's transaction; the worker sends it after commit. A mail
 * someone waits for on screen (an e-mail code) goes in the "urgent" lane (ADR 0027).
 */
export function queueMail(trx: Tx, now: Date, msg: OutgoingMessage, key: string, opts: { lane?: Lane } = {}) {
  return enqueue(trx, { kind: "mail.send", payload: msg, runAt: now, idempotencyKey: `mail:${key}`, lane: opts.lane });
}

export function queueSms(trx: Tx, now: Date, msg: { to: string; text: string }, key: string) {
  return enqueue(trx, { kind: "sms.send", payload: msg, runAt: now, idempotencyKey: `sms:${key}` });
}

/**
 * SMTP and the SMS gateway are called with no transaction open (ADR 4): the claim commits
 * as a lease first. Both are at least once; the idempotency key (Message-ID, Mitake's
 * clientid, the dev mailbox's unique key) lets the receiver drop a repeat.
 */
export function messageJobHandlers(mailer: Mailer, sms: SmsGateway): JobHandlers {
  const keyOf = (job: { id: number; idempotency_key: string | null }) => job.idempotency_key ?? `job:${job.id}`;
  return {
    "mail.send": callingJob({
      callsOut: true,
      prepare: async ({ payload }) => ({ call: payload as OutgoingMessage }),
      call: (msg, { db, job }) => mailer.send(msg, { db, idempotencyKey: keyOf(job) }),
    }),
    "sms.send": callingJob({
      callsOut: true,
      prepare: async ({ payload }) => ({ call: payload as { to: string; text: string } }),
      call: (msg, { db, job }) => sms.send(msg, { db, idempotencyKey: keyOf(job) }),
    }),
  };
}
