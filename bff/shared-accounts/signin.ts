import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import { mailAddresses } from "../accounts/mail-address.js";
import type { PasswordHasher } from "../auth/hashing.js";
import type { KnownDevices } from "../auth/known-device.js";
import { failureColumns, LIFT_WRONG_PASSWORD_LOCK, lockedByThisFailure, throttledMessage } from "../auth/lockout.js";
import { createThrottle, type ThrottleKey } from "../auth/throttle.js";
import { DomainError } from "../errors.js";
import { queueMail } from "../notifications/mail.js";
import { directParams, type ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";
import { cleanText } from "../text.js";
import { taipeiDate, taipeiTime } from "../time.js";

/** Login records of shared accounts carry this method (account_id stays empty: they are not people). */
export const SHARED_LOGIN_METHOD = "shared_account";

/** Unknown, wrong and locked answer alike (ADR 0025), naming the way out for a shared account. */
export const SHARED_REFUSED =
  "帳號或密碼錯誤，或帳號暫時無法登入。帳號遭鎖定或忘記密碼時，請由帳號保管人於公務入口網「機關及資訊系統帳號」重設密碼，即可解除鎖定。";

type Meta = { ip: string; userAgent: string; device?: string };

/**
 * 機關及資訊系統帳號登入專區: checks a shared account's password with the same lockout
 * parameters as personal accounts (IDN-1) and the same throttling (ADR 0025): per client
 * address and per username before any hash, a lock that a device which signed in before
 * passes, one answer for unknown, wrong and locked, and a mail to the custodian when it
 * locks. It opens no portal session: a shared account has no person behind it to act as.
 */
export function createSharedSignIn(deps: {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  params?: ParamReader;
  officialMailDomain: string;
  devices?: KnownDevices;
}) {
  const { db, clock, hasher } = deps;
  const reader = deps.params ?? directParams(db);
  const throttle = createThrottle(db);

  async function record(username: string, result: string, meta: Meta, at: Date) {
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
    meta: Meta,
  ): Promise<{ username: string; name: string; device?: { value: string; expiresAt: Date } }> {
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
      .select([
        "id",
        "username",
        "name",
        "status",
        "review_status",
        "login_permission",
        "locked_at",
        "password_hash",
        "custodian_account_id",
      ])
      .where("username", "=", username)
      .executeTakeFirst();
    const known = row ? deps.devices?.read(meta.device, now) : null;
    const device = known && row && known.accountId === row.id ? known : null;
    const keys: ThrottleKey[] = device
      ? [{ kind: "device", value: device.deviceId }]
      : [
          { kind: "ip", value: meta.ip },
          { kind: "shared", value: username, free: params.lockout_threshold },
        ];
    const wait = await throttle.waitSeconds(keys, now);
    if (wait > 0) {
      await record(username, "throttled", meta, now);
      throw new DomainError("rate_limited", throttledMessage(wait));
    }
    const refuse = async (result: string): Promise<never> => {
      await throttle.fail(keys, now);
      await record(username, result, meta, now);
      throw new DomainError("invalid", SHARED_REFUSED);
    };
    if (!row || !row.password_hash) {
      await hasher.dummyVerify(password);
      return refuse(row ? "inactive" : "unknown_user");
    }
    if (row.login_permission === "locked") {
      const until = row.locked_at ? row.locked_at.getTime() + params.lockout_cooldown_minutes * 60_000 : Infinity;
      // A lock from wrong passwords does not refuse a device that signed in before; an admin's lock does.
      if (until > now.getTime() && !(device && row.locked_at)) {
        await hasher.dummyVerify(password);
        return refuse("locked");
      }
    }
    if (!(await hasher.verify(row.password_hash, password))) {
      if (!device) await countFailure(row, now, params);
      return refuse("wrong_password");
    }
    if (row.status !== "enabled" || row.review_status !== "approved") {
      await record(username, row.status === "disabled" ? "disabled" : "inactive", meta, now);
      throw new DomainError("invalid", "此帳號尚未啟用或已停用。");
    }
    await db
      .updateTable("shared_accounts")
      .set({
        last_login_at: now,
        // The right password lifts a lock from wrong passwords (reached only from a known device or after the cool-down).
        ...LIFT_WRONG_PASSWORD_LOCK,
      })
      .where("id", "=", row.id)
      .execute();
    await throttle.clear(keys.filter((k) => k.kind !== "ip"));
    await record(username, "success", meta, now);
    const issued = deps.devices?.issue(row.id, now, device?.deviceId);
    return { username: row.username, name: row.name, ...(issued ? { device: issued } : {}) };
  }

  /**
   * One statement counts the failure and locks at the threshold, so parallel guesses all
   * count; the failure that locks it mails the custodian, once, in the same transaction.
   */
  async function countFailure(
    row: { id: number; username: string; name: string; custodian_account_id: number },
    now: Date,
    params: { lockout_threshold: number; lockout_cooldown_minutes: number },
  ) {
    const threshold = params.lockout_threshold;
    await inTransaction(db, async (trx) => {
      const after = await trx
        .updateTable("shared_accounts")
        .set(failureColumns(threshold, now))
        .where("id", "=", row.id)
        .returning(["login_permission", "failed_login_count", "locked_at"])
        .executeTakeFirstOrThrow();
      if (!lockedByThisFailure(after, threshold)) return;
      const to = (await mailAddresses(trx, [row.custodian_account_id], deps.officialMailDomain)).get(
        row.custodian_account_id,
      );
      if (!to) return;
      await queueMail(
        trx,
        now,
        {
          to,
          subject: `【公務入口網】您保管的帳號「${row.name}」已暫時鎖定`,
          text: [
            `您保管的機關及資訊系統帳號 ${row.username}（${row.name}）於 ${taipeiDate(now)} ${taipeiTime(now)} 連續 ${threshold} 次登入失敗，已暫時鎖定 ${params.lockout_cooldown_minutes} 分鐘。`,
            "曾成功登入此帳號的電腦仍可照常登入；您也可以於公務入口網「機關及資訊系統帳號」重設密碼，立即解除鎖定。",
            "若不是您或同仁操作，可能有人在猜測此帳號的密碼，建議重設密碼。",
          ].join("\n"),
        },
        `shared-account-locked:${row.id}:${now.getTime()}`,
      );
    });
  }

  return { sharedSignIn };
}
