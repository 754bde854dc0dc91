import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { PasswordHasher } from "../auth/hashing.js";
import { DomainError } from "../errors.js";
import { directParams, type ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";
import { cleanText } from "../text.js";

/** Login records of shared accounts carry this method (account_id stays empty: they are not people). */
export const SHARED_LOGIN_METHOD = "shared_account";

const WRONG = "帳號或密碼錯誤。";

/**
 * 機關及資訊系統帳號登入專區: checks a shared account's password with the same lockout
 * parameters as personal accounts (IDN-1) and records every attempt. It opens no portal
 * session: a shared account has no person behind it to act as.
 */
export function createSharedSignIn(deps: { db: Database; clock: Clock; hasher: PasswordHasher; params?: ParamReader }) {
  const { db, clock, hasher } = deps;
  const reader = deps.params ?? directParams(db);

  async function record(username: string, result: string, meta: { ip: string; userAgent: string }, at: Date) {
    await db
      .insertInto("login_records")
      .values({
        account_id: null,
        username: cleanText(username, 64),
        method: SHARED_LOGIN_METHOD,
        action: "login",
        result,
        ip: cleanText(meta.ip, 64),
        user_agent: cleanText(meta.userAgent, 400),
        at,
      })
      .execute();
  }

  async function sharedSignIn(
    input: { username?: unknown; password?: unknown },
    meta: { ip: string; userAgent: string },
  ): Promise<{ username: string; name: string }> {
    const username = cleanText(input.username, 64).trim().toLowerCase();
    const password = typeof input.password === "string" ? input.password.slice(0, 256) : "";
    const now = clock.now();
    if (!username || !password) {
      await record(username, "invalid_input", meta, now);
      throw new DomainError("invalid", "請輸入帳號及密碼。", {
        ...(username ? {} : { username: "請輸入帳號" }),
        ...(password ? {} : { password: "請輸入密碼" }),
      });
    }
    const params = await reader.all();
    const row = await db
      .selectFrom("shared_accounts")
      .select(["id", "username", "name", "status", "review_status", "login_permission", "locked_at", "password_hash"])
      .where("username", "=", username)
      .executeTakeFirst();
    if (!row || !row.password_hash) {
      await hasher.dummyVerify(password);
      await record(username, row ? "inactive" : "unknown_user", meta, now);
      throw new DomainError("invalid", WRONG);
    }
    if (row.login_permission === "locked") {
      const until = row.locked_at ? row.locked_at.getTime() + params.lockout_cooldown_minutes * 60_000 : Infinity;
      if (until > now.getTime()) {
        await record(username, "locked", meta, now);
        const minutes = Math.max(1, Math.ceil((until - now.getTime()) / 60_000));
        throw new DomainError(
          "invalid",
          Number.isFinite(minutes)
            ? `帳號已鎖定，請於 ${minutes} 分鐘後再試，或聯絡機關管理者解鎖。`
            : "帳號已鎖定，請聯絡機關管理者解鎖。",
        );
      }
    }
    if (row.status !== "enabled" || row.review_status !== "approved") {
      await record(username, row.status === "disabled" ? "disabled" : "inactive", meta, now);
      throw new DomainError("invalid", "此帳號尚未啟用或已停用。");
    }
    if (!(await hasher.verify(row.password_hash, password))) {
      // One statement counts the failure and locks at the threshold, so parallel guesses all count.
      const after = await db
        .updateTable("shared_accounts")
        .set({
          failed_login_count: sql`failed_login_count + 1`,
          login_permission: sql`CASE WHEN failed_login_count + 1 >= ${params.lockout_threshold} THEN 'locked' ELSE 'normal' END`,
          locked_at: sql`CASE WHEN failed_login_count + 1 >= ${params.lockout_threshold} THEN ${now}::timestamptz ELSE NULL END`,
        })
        .where("id", "=", row.id)
        .returning(["login_permission"])
        .executeTakeFirstOrThrow();
      await record(username, "wrong_password", meta, now);
      throw new DomainError(
        "invalid",
        after.login_permission === "locked"
          ? `${WRONG}連續錯誤 ${params.lockout_threshold} 次，帳號已鎖定 ${params.lockout_cooldown_minutes} 分鐘。`
          : WRONG,
      );
    }
    await db
      .updateTable("shared_accounts")
      .set({ failed_login_count: 0, login_permission: "normal", locked_at: null, last_login_at: now })
      .where("id", "=", row.id)
      .execute();
    await record(username, "success", meta, now);
    return { username: row.username, name: row.name };
  }

  return { sharedSignIn };
}
