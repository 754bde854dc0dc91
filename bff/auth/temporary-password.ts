import { randomInt } from "node:crypto";
import type { Database } from "../../db/index.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { queueSecretMessage } from "./code-delivery.js";
import type { PasswordHasher } from "./hashing.js";
import { inTransaction } from "../../db/transaction.js";

/** No 0/O, 1/l/I: read off a phone screen and typed by hand. 56^8 ≈ 2^46. */
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
const LENGTH = 8;
/** Per account: at most this many issued in the window (a stranger cannot flood a phone). */
export const TEMPORARY_PASSWORD_LIMIT = 3;
export const TEMPORARY_PASSWORD_WINDOW_MINUTES = 15;
const USERNAME_RE = /^[a-z0-9._-]{1,20}$/;

export function newTemporaryPassword(): string {
  let out = "";
  for (let i = 0; i < LENGTH; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/**
 * IDN-3: true, and the temporary password spent, when `secret` is the account's newest one,
 * unused and unexpired. Spending is a conditional update, so two requests cannot both use it.
 */
export async function consumeTemporaryPassword(
  db: Database,
  hasher: PasswordHasher,
  accountId: number,
  secret: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom("temporary_passwords")
    .select(["id", "hash"])
    .where("account_id", "=", accountId)
    .where("used_at", "is", null)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!row) {
    await hasher.dummyVerify(secret);
    return false;
  }
  if (!(await hasher.verify(row.hash, secret))) return false;
  const spent = await db
    .updateTable("temporary_passwords")
    .set({ used_at: now })
    .where("id", "=", row.id)
    .where("used_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  return spent !== undefined;
}

export type TemporaryPasswordChannel = "sms" | "mail";

/** The one answer to every request, so it never tells whether the username exists. */
export const TEMPORARY_PASSWORD_SENT =
  "若帳號存在且已設定所選的聯絡方式，臨時密碼已寄出，請於有效時間內使用。未收到時請聯絡機關管理者。";

export function createTemporaryPasswords(deps: {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  dataKey: Buffer;
  validMinutes: number;
}) {
  const { db, clock, hasher } = deps;

  /**
   * IDN-3: issue a temporary password to the account's verified mobile (SMS) or backup
   * e-mail. Unknown usernames, accounts without that contact, disabled accounts and the
   * rate limit all give the same answer as a real send, after the same hashing work.
   */
  async function request(input: { username: unknown; channel: unknown }): Promise<string> {
    const username = typeof input.username === "string" ? input.username.trim().toLowerCase() : "";
    const channel = input.channel === "sms" || input.channel === "mail" ? input.channel : null;
    const fields: Record<string, string> = {};
    if (username === "") fields.username = "請輸入帳號";
    if (!channel) fields.channel = "請選擇寄送方式";
    if (!channel || username === "") throw new DomainError("invalid", "請輸入帳號並選擇寄送方式。", fields);

    const secret = newTemporaryPassword();
    const hash = await hasher.hash(secret);
    if (!USERNAME_RE.test(username)) return TEMPORARY_PASSWORD_SENT;
    const account = await db
      .selectFrom("accounts")
      .select(["id", "status", "password_hash", "mobile", "mobile_verified_at", "backup_email"])
      .where("username", "=", username)
      .executeTakeFirst();
    if (!account || account.status !== "enabled" || !account.password_hash) return TEMPORARY_PASSWORD_SENT;
    const to = channel === "sms" ? (account.mobile_verified_at ? account.mobile : null) : account.backup_email;
    if (!to) return TEMPORARY_PASSWORD_SENT;

    const now = clock.now();
    const expiresAt = new Date(now.getTime() + deps.validMinutes * 60_000);
    await inTransaction(db, async (trx) => {
      // Serialises requests for one account, so the limit holds under concurrency.
      await trx.selectFrom("accounts").select("id").where("id", "=", account.id).forUpdate().execute();
      const recent = await trx
        .selectFrom("temporary_passwords")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("account_id", "=", account.id)
        .where("created_at", ">", new Date(now.getTime() - TEMPORARY_PASSWORD_WINDOW_MINUTES * 60_000))
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= TEMPORARY_PASSWORD_LIMIT) return;
      // Only the newest works: a second request makes the first useless.
      await trx
        .updateTable("temporary_passwords")
        .set({ revoked_at: now })
        .where("account_id", "=", account.id)
        .where("used_at", "is", null)
        .where("revoked_at", "is", null)
        .execute();
      const row = await trx
        .insertInto("temporary_passwords")
        .values({ account_id: account.id, hash, channel, created_at: now, expires_at: expiresAt })
        .returning("id")
        .executeTakeFirstOrThrow();
      await queueSecretMessage(
        trx,
        deps.dataKey,
        now,
        {
          channel,
          to,
          subject: "臺南市政府公務入口網 臨時密碼",
          text: `【臺南市政府公務入口網】您的臨時密碼：${secret}，${deps.validMinutes} 分鐘內有效，限用一次。非本人申請請勿理會並通知機關管理者。`,
          expiresAt,
        },
        `temp-password:${row.id}`,
      );
    });
    return TEMPORARY_PASSWORD_SENT;
  }

  return { request };
}
