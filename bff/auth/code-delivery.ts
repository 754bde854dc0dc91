import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import { callingJob, finished, type JobHandlers, type Logger } from "../jobs/worker.js";
import { decrypt, encrypt } from "../oidc/data-key.js";
import type { Mailer, SmsGateway } from "../ports/mailer.js";

/**
 * Messages that carry a secret (a temporary password, a phone code) go out through the jobs
 * table like every message, but the text is sealed with the data key while it waits and
 * removed once sent, so the jobs table never holds the secret in clear. An expired code is
 * not worth sending late: the job drops it on purpose (done, result `{ dropped: "expired" }`,
 * one log line), never dead; the person asks for a new one (ADR 0028). Until then it retries
 * like any message that calls out, so an outage shorter than the code's life loses nothing.
 */
export const SECRET_MESSAGE_JOB = "signin.secret-message";

export interface SecretMessage {
  channel: "sms" | "mail";
  to: string;
  subject: string;
  text: string;
  expiresAt: Date;
}

export function queueSecretMessage(trx: Tx, dataKey: Buffer, now: Date, msg: SecretMessage, key: string) {
  return enqueue(trx, {
    kind: SECRET_MESSAGE_JOB,
    payload: {
      channel: msg.channel,
      to: msg.to,
      subject: msg.subject,
      sealed: encrypt(dataKey, msg.text),
      expiresAt: msg.expiresAt.toISOString(),
    },
    runAt: now,
    idempotencyKey: `secret:${key}`,
    // The code lives minutes: it retries (quickly, see backoffMs) until it expires, then is dropped.
    maxAttempts: 4,
  });
}

interface Payload {
  channel: "sms" | "mail";
  to: string;
  subject: string;
  sealed?: string;
  expiresAt: string;
}

export function secretMessageJobHandlers(deps: {
  mailer: Mailer;
  sms: SmsGateway;
  dataKey: Buffer;
  logger?: Logger;
}): JobHandlers {
  const wipe = (db: Database, jobId: number) =>
    db
      .updateTable("jobs")
      .set({ payload: sql`payload - 'sealed'::text` })
      .where("id", "=", jobId)
      .execute();
  return {
    // Sent with no transaction open (ADR 4); the secret is wiped when the send is recorded.
    [SECRET_MESSAGE_JOB]: callingJob({
      callsOut: true,
      backoffMs: (attempt) => 5_000 * 2 ** (attempt - 1),
      async prepare({ db, job, payload, now }) {
        const p = payload as Payload;
        if (!p.sealed) return finished({ skipped: "no secret" });
        if (new Date(p.expiresAt) <= now) {
          await wipe(db, job.id);
          deps.logger?.info("job dropped: the code expired before it could be sent", {
            id: job.id,
            kind: job.kind,
            channel: p.channel,
            attempts: job.attempts,
            expiresAt: p.expiresAt,
          });
          return finished({ dropped: "expired" });
        }
        return { call: { ...p, text: decrypt(deps.dataKey, p.sealed) } };
      },
      async call(p, { db, job }) {
        const ctx = { db, idempotencyKey: job.idempotency_key ?? `job:${job.id}` };
        if (p.channel === "sms") await deps.sms.send({ to: p.to, text: p.text }, ctx);
        else await deps.mailer.send({ to: p.to, subject: p.subject, text: p.text }, ctx);
        return p.channel;
      },
      async record({ db, job }, channel) {
        await wipe(db, job.id);
        return { sent: channel };
      },
      // A message that will never go out takes its secret with it.
      async onFailure({ db, job }, { outcome }) {
        if (outcome === "dead") await wipe(db, job.id);
      },
    }),
  };
}
