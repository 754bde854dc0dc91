import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { queueSecretMessage } from "../auth/code-delivery.js";
import { DomainError } from "../errors.js";
import { generatePassword } from "../shared-accounts/password.js";
import { logChanges } from "./change-log.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { manageable } from "./target.js";

const DAY_MS = 86_400_000;

/**
 * 重設密碼: a random temporary password, mailed (sealed in the job) to the backup e-mail
 * and handed to AD. It counts as expired, so its owner must change it at the next sign-in
 * (ACC-17); sessions signed in with the old one end. The admin never sees it.
 */
export async function resetPassword(deps: AccountDeps, actor: Actor, ref: AccountRef) {
  const { db, clock, directory, hasher, dataKey } = deps;
  const account = await manageable(deps, actor, ref, "密碼");
  if (!hasher || !dataKey) throw new Error("resetPassword needs the hasher and the data key");
  const to = account.backup_email;
  if (!to) throw new DomainError("invalid", "此帳號沒有備用信箱，無法寄送臨時密碼，請先於帳號資料填寫備用信箱。");
  // 14 characters of all four classes, no look-alikes: typed right from the mail.
  const password = generatePassword(14);
  const hash = await hasher.hash(password);
  const maxAge = await deps.params.get("password_max_age_days");
  const now = clock.now();
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable("accounts")
      .set({
        password_hash: hash,
        password_changed_at: new Date(now.getTime() - (maxAge + 1) * DAY_MS),
        failed_login_count: 0,
        updated_at: now,
      })
      .where("id", "=", account.id)
      .execute();
    await trx.deleteFrom("sessions").where("account_id", "=", account.id).execute();
    await directory.passwordSet(trx, { accountId: account.id, password, at: now, by: actor.accountId });
    const text = `您的帳號 ${account.username} 的密碼已由管理者重設。\n臨時密碼：${password}\n請以臨時密碼登入，登入後系統會要求您立即變更密碼。`;
    const mail = { subject: "【公務入口網】您的密碼已重設", text, expiresAt: new Date(now.getTime() + 7 * DAY_MS) };
    await queueSecretMessage(
      trx,
      dataKey,
      now,
      { channel: "mail", to, ...mail },
      `account-reset:${account.id}:${now.getTime()}`,
    );
    await logChanges(trx, {
      accountId: account.id,
      kind: "data",
      actorId: actor.accountId,
      at: now,
      changes: [{ field: "密碼", before: "", after: "已重設，臨時密碼寄至備用信箱" }],
    });
    await writeAudit(trx, actor, now, {
      action: "account.reset-password",
      targetType: "account",
      targetId: account.id,
    });
  });
  return { sentTo: maskEmail(to) };
}

/** 「w***@example.com」: enough for the admin to tell which address, not to harvest it. */
function maskEmail(email: string): string {
  const [user, domain] = email.split("@");
  return `${(user ?? "").slice(0, 1)}***@${domain ?? ""}`;
}
