import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { queueSecretMessage } from "./code-delivery.js";
import { inTransaction } from "../../db/transaction.js";

export const MOBILE_RE = /^09\d{8}$/;
export const PHONE_CODE_MINUTES = 10;
/** Wrong codes before the pending check is dropped (a 6-digit code must not be guessable). */
export const PHONE_CODE_MAX_ATTEMPTS = 5;
/** Codes sent per account per hour, and the wait between two sends. */
export const PHONE_CODE_SENDS_PER_HOUR = 5;
const RESEND_SECONDS = 60;

/** "0912-345-678", "0912 345 678" → "0912345678"; +886 9… as 09…. */
export function normaliseMobile(raw: unknown): string {
  if (typeof raw !== "string") return "";
  const digits = raw.replace(/[\s()-]/g, "").slice(0, 20);
  return digits.startsWith("+8869") ? `0${digits.slice(4)}` : digits;
}

export function createPhoneVerification(deps: {
  db: Database;
  clock: Clock;
  dataKey: Buffer;
  directory: DirectoryQueue;
}) {
  const { db, clock } = deps;
  // A 6-digit code has too few values for a plain hash to hide it: key it with the data key.
  const codeHash = (accountId: number, code: string) =>
    createHmac("sha256", deps.dataKey).update(`phone:${accountId}:${code}`).digest("hex");

  /** NTF-3: the signed-in user's mobile, and the number waiting for its code. */
  async function status(actor: Actor) {
    const account = await db
      .selectFrom("accounts")
      .select(["mobile", "mobile_verified_at"])
      .where("id", "=", actor.accountId)
      .executeTakeFirstOrThrow();
    const pending = await db
      .selectFrom("phone_verifications")
      .select(["mobile", "expires_at"])
      .where("account_id", "=", actor.accountId)
      .where("expires_at", ">", clock.now())
      .executeTakeFirst();
    return {
      mobile: account.mobile_verified_at ? account.mobile : null,
      verifiedAt: account.mobile_verified_at,
      pending: pending ? { mobile: pending.mobile, expiresAt: pending.expires_at } : null,
    };
  }

  /** NTF-3 step 1: a code by SMS to the number given. Replaces any earlier pending check. */
  async function requestCode(actor: Actor, rawMobile: unknown): Promise<{ mobile: string; expiresAt: Date }> {
    const mobile = normaliseMobile(rawMobile);
    if (!MOBILE_RE.test(mobile)) {
      throw new DomainError("invalid", "請輸入正確的手機號碼（09 開頭共 10 碼）。", {
        mobile: "格式為 09 開頭共 10 碼，例如 0912345678",
      });
    }
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + PHONE_CODE_MINUTES * 60_000);
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    await inTransaction(db, async (trx) => {
      await trx.selectFrom("accounts").select("id").where("id", "=", actor.accountId).forUpdate().execute();
      const sends = await trx
        .selectFrom("phone_code_sends")
        .select("sent_at")
        .where("account_id", "=", actor.accountId)
        .where("sent_at", ">", new Date(now.getTime() - 3600_000))
        .orderBy("sent_at", "desc")
        .execute();
      const last = sends[0]?.sent_at;
      if (last && now.getTime() - last.getTime() < RESEND_SECONDS * 1000) {
        throw new DomainError("rate_limited", `驗證碼剛寄出，請於 ${RESEND_SECONDS} 秒後再試。`);
      }
      if (sends.length >= PHONE_CODE_SENDS_PER_HOUR) {
        throw new DomainError("rate_limited", "驗證碼寄送次數已達上限，請一小時後再試。");
      }
      await trx.insertInto("phone_code_sends").values({ account_id: actor.accountId, sent_at: now }).execute();
      await trx
        .insertInto("phone_verifications")
        .values({
          account_id: actor.accountId,
          mobile,
          code_hash: codeHash(actor.accountId, code),
          sent_at: now,
          expires_at: expiresAt,
        })
        .onConflict((oc) =>
          oc.column("account_id").doUpdateSet({
            mobile,
            code_hash: codeHash(actor.accountId, code),
            attempts: 0,
            sent_at: now,
            expires_at: expiresAt,
          }),
        )
        .execute();
      await queueSecretMessage(
        trx,
        deps.dataKey,
        now,
        {
          channel: "sms",
          to: mobile,
          subject: "",
          text: `【臺南市政府公務入口網】手機驗證碼：${code}，${PHONE_CODE_MINUTES} 分鐘內有效。非本人操作請勿理會。`,
          expiresAt,
        },
        `phone:${actor.accountId}:${now.getTime()}`,
      );
    });
    return { mobile, expiresAt };
  }

  /** NTF-3 step 2: the right code (in time, within the attempts) makes the number verified. */
  async function confirmCode(actor: Actor, rawCode: unknown): Promise<{ mobile: string }> {
    const code = typeof rawCode === "string" ? rawCode.replace(/\s/g, "").slice(0, 20) : "";
    if (!/^\d{6}$/.test(code)) {
      throw new DomainError("invalid", "請輸入簡訊中的 6 位數字驗證碼。", { code: "請輸入 6 位數字" });
    }
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      const pending = await trx
        .selectFrom("phone_verifications")
        .selectAll()
        .where("account_id", "=", actor.accountId)
        .forUpdate()
        .executeTakeFirst();
      if (!pending || pending.expires_at <= now || pending.attempts >= PHONE_CODE_MAX_ATTEMPTS) {
        throw new DomainError("invalid", "驗證碼已失效，請重新取得驗證碼。", { code: "驗證碼已失效" });
      }
      const expected = Buffer.from(pending.code_hash, "hex");
      const given = Buffer.from(codeHash(actor.accountId, code), "hex");
      if (!timingSafeEqual(expected, given)) {
        const attempts = pending.attempts + 1;
        await trx
          .updateTable("phone_verifications")
          .set({ attempts })
          .where("account_id", "=", actor.accountId)
          .execute();
        const left = PHONE_CODE_MAX_ATTEMPTS - attempts;
        return { wrong: left, mobile: undefined };
      }
      await trx.deleteFrom("phone_verifications").where("account_id", "=", actor.accountId).execute();
      await trx
        .updateTable("accounts")
        .set({ mobile: pending.mobile, mobile_verified_at: now, updated_at: now })
        .where("id", "=", actor.accountId)
        .execute();
      await deps.directory.accountChanged(trx, { accountId: actor.accountId, at: now, by: actor.accountId });
      return { wrong: undefined, mobile: pending.mobile };
    }).then((r) => {
      // The attempt count must commit, so the refusal is thrown after the transaction.
      if ("wrong" in r && r.wrong !== undefined) {
        throw new DomainError(
          "invalid",
          r.wrong > 0 ? `驗證碼不正確，還可再試 ${r.wrong} 次。` : "驗證碼錯誤次數過多，請重新取得驗證碼。",
          { code: "驗證碼不正確" },
        );
      }
      return { mobile: r.mobile as string };
    });
  }

  return { status, requestCode, confirmCode };
}
