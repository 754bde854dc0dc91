import { randomInt } from "node:crypto";
import type { Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import { callingJob, finished, type JobHandlers } from "../jobs/worker.js";
import { decrypt, encrypt } from "../oidc/data-key.js";
import type { Mailer } from "../ports/mailer.js";

// No look-alikes (0/O, 1/l/I), so a password read from a mail is typed right the first time.
const SETS = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%&*+-=?"];

/** 16 characters with all four classes: passes the portal's and AD's password policy. */
export function generatePassword(length = 16): string {
  const all = SETS.join("");
  const chars = SETS.map((s) => s[randomInt(s.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

export const PASSWORD_MAIL_JOB = "shared_account.password_mail";

/**
 * Queues the mail that tells the custodian a shared account's new password. The password
 * rides in the job encrypted with the data key and the payload is wiped once sent, so it
 * is never stored in clear (ARCHITECTURE rule 3).
 */
export async function queuePasswordMail(
  trx: Tx,
  dataKey: Buffer,
  m: {
    to: string;
    username: string;
    name: string;
    password: string;
    why: "approved" | "reset";
    key: string;
    now: Date;
  },
) {
  await enqueue(trx, {
    kind: PASSWORD_MAIL_JOB,
    payload: { to: m.to, username: m.username, name: m.name, why: m.why, sealed: encrypt(dataKey, m.password) },
    runAt: m.now,
    idempotencyKey: `shared-password:${m.key}`,
  });
}

export function sharedAccountJobHandlers(deps: { mailer: Mailer; dataKey: Buffer }): JobHandlers {
  return {
    // The mail goes out with no transaction open (ADR 4); the sealed password is dropped when it is recorded.
    [PASSWORD_MAIL_JOB]: callingJob({
      callsOut: true,
      async prepare({ payload }) {
        const p = payload as { to: string; username: string; name: string; why: string; sealed: string };
        if (typeof p.sealed !== "string") return finished({ skipped: "no password" });
        return { call: { ...p, password: decrypt(deps.dataKey, p.sealed) } };
      },
      async call(p, { db, job }) {
        const opening =
          p.why === "approved"
            ? `您申請的機關及資訊系統帳號「${p.name}」已審核通過。`
            : `您保管的機關及資訊系統帳號「${p.name}」的密碼已重設。`;
        await deps.mailer.send(
          {
            to: p.to,
            subject: `【公務入口網】機關及資訊系統帳號 ${p.username} 密碼通知`,
            text: `${opening}\n\n帳號：${p.username}\n密碼：${p.password}\n\n請由「機關及資訊系統帳號登入專區」登入。此信含密碼，請妥善保管並於閱後刪除。`,
          },
          { db, idempotencyKey: job.idempotency_key ?? `job:${job.id}` },
        );
      },
      // Sent: the sealed password has no further use in the queue.
      async record({ db, job, payload }) {
        await db
          .updateTable("jobs")
          .set({ payload: JSON.stringify({ to: payload.to, username: payload.username }) })
          .where("id", "=", job.id)
          .execute();
      },
    }),
  };
}
