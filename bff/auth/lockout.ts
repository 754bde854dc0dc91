import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { LoginPermission } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { queueMail } from "../notifications/mail.js";
import { taipeiDate, taipeiTime } from "../time.js";

/**
 * The one answer to an unknown username, a wrong password and a locked account (ADR 0025):
 * it never says which, and it names the way out that works in every case.
 */
export const SIGNIN_REFUSED =
  "帳號或密碼錯誤，或帳號暫時無法登入。忘記密碼或帳號遭鎖定時，請使用「臨時密碼登入」或「忘記密碼」，驗證身分後即可登入並解除鎖定。";

/** A throttled attempt: answered before any password is checked. */
export function throttledMessage(seconds: number): string {
  const wait = seconds < 60 ? `${seconds} 秒` : `${Math.ceil(seconds / 60)} 分鐘`;
  return `登入嘗試次數過多，請於 ${wait}後再試。忘記密碼或帳號遭鎖定時，請使用「臨時密碼登入」或「忘記密碼」。`;
}

/**
 * The columns that lift a lock caused by wrong passwords (it has a `locked_at`) and leave an
 * admin's lock (no `locked_at`) in place: for a successful sign-in and for a password proved
 * or reset (ADR 0025). Spread into `.set({...})` of `accounts` or `shared_accounts`.
 */
export const LIFT_WRONG_PASSWORD_LOCK = {
  failed_login_count: 0,
  login_permission: sql<LoginPermission>`CASE WHEN locked_at IS NOT NULL THEN 'normal' ELSE login_permission END`,
  locked_at: null,
};

/**
 * One more wrong password, in one atomic UPDATE of `accounts` or `shared_accounts`: the failure
 * that reaches the threshold locks (with a time, which tells it from an admin's lock).
 */
export const failureColumns = (threshold: number, now: Date) => ({
  failed_login_count: sql<number>`failed_login_count + 1`,
  login_permission: sql<LoginPermission>`CASE WHEN failed_login_count + 1 >= ${threshold} THEN 'locked' ELSE login_permission END`,
  locked_at: sql<Date | null>`CASE WHEN failed_login_count + 1 >= ${threshold} AND login_permission = 'normal' THEN ${now}::timestamptz ELSE locked_at END`,
});

/** Whether the failure counted by `failureColumns` was the one that locked (so the owner is mailed once). */
export const lockedByThisFailure = (
  row: { login_permission: LoginPermission; locked_at: Date | null; failed_login_count: number },
  threshold: number,
) => row.login_permission === "locked" && row.locked_at !== null && row.failed_login_count === threshold;

/**
 * Counts one failure towards the account's lock (IDN-1, threshold from the system
 * parameters) in one atomic UPDATE … RETURNING; the failure that reaches the threshold
 * locks it and mails the owner in the same transaction, so the mail goes exactly once
 * per lock however many guesses arrive together. Returns true when this failure locked it.
 */
export async function countAccountFailure(
  db: Database,
  account: { id: number; username: string },
  now: Date,
  opts: { threshold: number; cooldownMinutes: number; officialMailDomain: string },
): Promise<boolean> {
  const { threshold } = opts;
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable("accounts")
      .set(failureColumns(threshold, now))
      .where("id", "=", account.id)
      .returning(["failed_login_count", "login_permission", "locked_at"])
      .executeTakeFirstOrThrow();
    // Only the failure that made the count equal the threshold (an admin's lock has no time).
    const locked = lockedByThisFailure(row, threshold);
    if (locked) await mailLockedOwner(trx, account, now, opts);
    return locked;
  });
}

async function mailLockedOwner(
  db: Tx,
  account: { id: number; username: string },
  now: Date,
  opts: { threshold: number; cooldownMinutes: number; officialMailDomain: string },
) {
  const to = (await mailAddresses(db, [account.id], opts.officialMailDomain)).get(account.id);
  if (!to) return;
  await queueMail(
    db,
    now,
    {
      to,
      subject: "【公務入口網】您的帳號已暫時鎖定",
      text: [
        `您的公務入口網帳號 ${account.username} 於 ${taipeiDate(now)} ${taipeiTime(now)} 連續 ${opts.threshold} 次登入失敗，已暫時鎖定 ${opts.cooldownMinutes} 分鐘。`,
        "在您曾成功登入的電腦或手機上，仍可照常登入。",
        "其他裝置可於鎖定時間過後再試，或使用登入頁的「臨時密碼登入」或「忘記密碼」，驗證身分後立即解除鎖定。",
        "若不是您本人操作，可能有人在猜測您的密碼，建議變更密碼並啟用兩步驟驗證。",
      ].join("\n"),
    },
    `account-locked:${account.id}:${now.getTime()}`,
  );
}
