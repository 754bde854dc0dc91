import type { Database } from "../../db/index.js";
import type { AccountStatus } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { readParams } from "../params.js";
import type { Clock } from "../ports/clock.js";
import { cleanText } from "../text.js";
import { taipeiDaysBetween } from "../time.js";
import { scopeAccounts } from "./scope.js";
import { revokeAccountSso } from "../oidc/revoke.js";

/** ACC-4 註銷原因. */
export const disableReasons = ["離職", "退休", "留職停薪", "其他"] as const;

export function createAccountsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  function scopedAccountQuery(actor: Actor) {
    const base = db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .innerJoin("org_nodes as ag", "ag.id", "u.agency_id");
    return scopeAccounts(base, actor);
  }

  /** One account as an admin sees it; outside the actor's scope it does not exist (404). */
  async function getAccount(actor: Actor, accountId: number) {
    if (!Number.isSafeInteger(accountId) || accountId <= 0) throw notFound();
    if (actor.role === "user" && actor.accountId !== accountId) throw notFound();
    const row = await scopedAccountQuery(actor)
      .select([
        "a.id",
        "a.username",
        "a.name",
        "a.title",
        "a.role",
        "a.status",
        "a.status_reason",
        "a.login_permission",
        "a.failed_login_count",
        "a.locked_at",
        "a.last_login_at",
        "a.password_changed_at",
        "a.office_phone",
        "a.office_ext",
        "a.needs_official_mail",
        "u.name as unitName",
        "ag.name as agencyName",
      ])
      .where("a.id", "=", accountId)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  function requireAdmin(actor: Actor) {
    if (actor.role === "user") throw notFound();
  }

  /** ACC-12 帳號狀態: unlock a locked account. */
  async function unlock(actor: Actor, accountId: number): Promise<void> {
    requireAdmin(actor);
    await getAccount(actor, accountId);
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ login_permission: "normal", failed_login_count: 0, locked_at: null, updated_at: now })
        .where("id", "=", accountId)
        .execute();
      await writeAudit(trx, actor, now, { action: "account.unlock", targetType: "account", targetId: accountId });
    });
  }

  /**
   * An admin locks an account (登入許可狀態 鎖定) until someone unlocks it: no cool-down
   * (locked_at stays empty), and its open sessions end now — unlike a lock caused by wrong
   * passwords, which must not let a stranger sign a colleague out.
   */
  async function lock(actor: Actor, accountId: number): Promise<void> {
    requireAdmin(actor);
    await getAccount(actor, accountId);
    if (accountId === actor.accountId) throw new DomainError("invalid", "不可鎖定自己的帳號。");
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ login_permission: "locked", locked_at: null, updated_at: now })
        .where("id", "=", accountId)
        .execute();
      await trx.deleteFrom("sessions").where("account_id", "=", accountId).execute();
      await revokeAccountSso(trx, accountId);
      await writeAudit(trx, actor, now, { action: "account.lock", targetType: "account", targetId: accountId });
    });
  }

  /**
   * ACC-12 status change. Disabling ends the account's sessions (and its single sign-on
   * grants and tokens) at once; the session check
   * also refuses any account that is not enabled, so no app server keeps it signed in.
   */
  async function setStatus(
    actor: Actor,
    accountId: number,
    input: { status: AccountStatus; reason?: unknown; reasonText?: unknown },
  ): Promise<void> {
    requireAdmin(actor);
    const account = await getAccount(actor, accountId);
    if (accountId === actor.accountId) throw new DomainError("invalid", "不可變更自己的帳號狀態。");
    let reason: string | null = null;
    if (input.status === "disabled") {
      const picked = disableReasons.find((r) => r === input.reason);
      if (!picked) throw new DomainError("invalid", "請選擇註銷原因。", { reason: "請選擇註銷原因" });
      const text = cleanText(input.reasonText, 200).trim();
      if (picked === "其他" && text === "") {
        throw new DomainError("invalid", "註銷原因為「其他」時，請填寫說明。", { reasonText: "請填寫說明" });
      }
      reason = picked === "其他" ? `其他：${text}` : picked;
    }
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ status: input.status, status_reason: reason, status_changed_at: now, updated_at: now })
        .where("id", "=", accountId)
        .execute();
      if (input.status !== "enabled") {
        await trx.deleteFrom("sessions").where("account_id", "=", accountId).execute();
        await revokeAccountSso(trx, accountId);
      }
      await writeAudit(trx, actor, now, {
        action: "account.status",
        targetType: "account",
        targetId: accountId,
        detail: { from: account.status, to: input.status, reason },
      });
    });
  }

  /** ACC-19 / ACC-17: my own account, with days until my password expires. */
  async function myAccount(actor: Actor) {
    const account = await getAccount(actor, actor.accountId);
    const params = await readParams(db);
    const passwordExpiresAt = account.password_changed_at
      ? new Date(account.password_changed_at.getTime() + params.password_max_age_days * 86_400_000)
      : null;
    const passwordDaysLeft = passwordExpiresAt ? taipeiDaysBetween(clock.now(), passwordExpiresAt) : null;
    return { ...account, passwordExpiresAt, passwordDaysLeft };
  }

  /** ACC-19 帳號登入紀錄: my latest sign-ins. */
  async function myLoginRecords(actor: Actor, limit = 20) {
    return db
      .selectFrom("login_records")
      .select(["id", "method", "action", "result", "ip", "user_agent", "at"])
      .where("account_id", "=", actor.accountId)
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(Math.min(Math.max(1, limit), 100))
      .execute();
  }

  return { getAccount, unlock, lock, setStatus, myAccount, myLoginRecords };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
