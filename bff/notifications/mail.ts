import type { Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import type { JobHandlers } from "../jobs/worker.js";
import type { Mailer, OutgoingMessage, SmsGateway } from "../ports/mailer.js";

/** Queues an e-mail in the caller's transaction; the worker sends it after commit. */
export function queueMail(trx: Tx, now: Date, msg: OutgoingMessage, key: string) {
  return enqueue(trx, { kind: "mail.send", payload: msg, runAt: now, idempotencyKey: `mail:${key}` });
}

export function queueSms(trx: Tx, now: Date, msg: { to: string; text: string }, key: string) {
  return enqueue(trx, { kind: "sms.send", payload: msg, runAt: now, idempotencyKey: `sms:${key}` });
}

export function messageJobHandlers(mailer: Mailer, sms: SmsGateway): JobHandlers {
  return {
    "mail.send": {
      run: ({ db, job, payload }) =>
        mailer.send(payload, { db, idempotencyKey: job.idempotency_key ?? `job:${job.id}` }),
    },
    "sms.send": {
      run: ({ db, job, payload }) => sms.send(payload, { db, idempotencyKey: job.idempotency_key ?? `job:${job.id}` }),
    },
  };
}
